// `amused train STAGE ...`: retrains the embedded default model from scratch. It is the
// `amused-train` program (tools/train) under the common command name.
#include "tools/train/train_main.h"

namespace amused::cli {

int run_train(int argc, char **argv) {
  // argv[0] is "train" and argv[1] the stage, as train_main expects.
  return amused::train::train_main(argc, argv);
}

}  // namespace amused::cli
