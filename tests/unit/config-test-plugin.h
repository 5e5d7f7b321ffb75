/* config-test-plugin.h — the static test plugin of the configuration tests. */
#pragma once

#include <sluice-plugin-sdk.h>

const SluicePluginDescriptor *sluice_plugin_config_test_get_descriptor (void);
