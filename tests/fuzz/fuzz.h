/*
 * fuzz.h - the one entry point every fuzz target defines. The same target
 * file is linked either with libFuzzer (make fuzz, clang) or with
 * replay_main.c (ctest, any compiler), which feeds it each corpus file.
 */
#ifndef S2P_FUZZ_H
#define S2P_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
