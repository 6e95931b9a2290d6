// amused-train: see train_main.h and `amused-train --help`.
#include "tools/train/train_main.h"

int main(int argc, char **argv) { return amused::train::train_main(argc, argv); }
