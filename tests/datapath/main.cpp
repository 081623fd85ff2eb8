// Datapath tests run in a private network namespace built here, before gtest starts.
#include <gtest/gtest.h>

#include <cstring>

#include "topology.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--gtest_list_tests", 18) == 0) listing = true;
  if (!listing) xlbtest::setup_namespace();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
