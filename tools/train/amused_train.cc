// amused-train: see train_main.h and `amused-train --help`.
#include "tools/train/omp_policy.h"
#include "tools/train/train_main.h"

int main(int argc, char **argv) {
  amused::train::reexec_with_passive_omp_wait(argv);
  return amused::train::train_main(argc, argv);
}
