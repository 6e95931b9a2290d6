// The `amused-train` program as a function, so the `amused` command can run it as its
// `train` subcommand: `amused train STAGE ...` == `amused-train STAGE ...`.
#pragma once

namespace amused::train {

// argv[0] is the program name, argv[1] the stage. Returns the process exit code.
int train_main(int argc, char **argv);

}  // namespace amused::train
