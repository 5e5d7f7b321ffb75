/* bad-magic.c — broken: the descriptor does not start with SLUICE_PLUGIN_MAGIC. */
#include "test-plugin.h"

TEST_SOURCE (source, "bad-magic-source");

static const SluiceElementDescriptor *const elements[] = { &source, NULL };

static const SluicePluginDescriptor descriptor = {
  .magic = 0xdeadbeefu,
  .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
  .abi_minor = SLUICE_PLUGIN_ABI_MINOR,
  .struct_size = sizeof (SluicePluginDescriptor),
  .name = "bad-magic",
  .version = "1.0",
  .license = "MIT",
  .description = "Wrong magic.",
  .elements = elements,
};

TEST_PLUGIN_ENTRY (bad_magic, &descriptor)
