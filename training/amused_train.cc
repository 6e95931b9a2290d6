// amused-train: see train_main.h and `amused-train --help`.
#include "training/omp_policy.h"
#include "training/train_main.h"

int main(int argc, char **argv) {
  amused::train::reexec_with_passive_omp_wait(argv);
  return amused::train::train_main(argc, argv);
}
