/* no-symbol.c — broken: exports sluice_plugin_no_symbl_get_descriptor, a misspelling of the entry
 * point its file name sluice-no-symbol.so calls for. */
#include "test-plugin.h"

TEST_SOURCE (source, "no-symbol-source");

SLUICE_PLUGIN_DEFINE (no_symbl, "1.0", "MIT", "Misspelt entry point.", NULL, NULL, &source)
