/* small-struct.c — broken: the descriptor's struct_size is smaller than ABI 1.0's. */
#include "test-plugin.h"

TEST_SOURCE (source, "small-struct-source");

static const SluiceElementDescriptor *const elements[] = { &source, NULL };

static const SluicePluginDescriptor descriptor = {
  .magic = SLUICE_PLUGIN_MAGIC,
  .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
  .abi_minor = SLUICE_PLUGIN_ABI_MINOR,
  .struct_size = 16,
  .name = "small-struct",
  .version = "1.0",
  .license = "MIT",
  .description = "Truncated descriptor.",
  .elements = elements,
};

TEST_PLUGIN_ENTRY (small_struct, &descriptor)
