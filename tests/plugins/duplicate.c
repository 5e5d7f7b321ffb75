/* duplicate.c — broken next to good-one: it claims the element type 'good-source' as well. */
#include "test-plugin.h"

TEST_SOURCE (source, "good-source");
TEST_SOURCE (other, "duplicate-other-source");

SLUICE_PLUGIN_DEFINE (duplicate, "1.0", "MIT", "Claims somebody else's type.", NULL, NULL, &other,
                      &source)
