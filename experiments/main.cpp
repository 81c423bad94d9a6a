#include "experiments/cli.h"

int main(int argc, char** argv) { return rethink::cli::run(argc, argv); }
