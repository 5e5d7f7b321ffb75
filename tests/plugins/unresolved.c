/* unresolved.c — broken: it calls a function no library provides, which the loader must notice
 * when it opens the module (no lazy binding), not when the element first runs. */
#include "test-plugin.h"

extern void sluice_test_function_that_does_not_exist (void);

static gboolean
unresolved_init (GError **error)
{
  sluice_test_function_that_does_not_exist ();
  return TRUE;
}

TEST_SOURCE (source, "unresolved-source");

SLUICE_PLUGIN_DEFINE (unresolved, "1.0", "MIT", "Needs a missing symbol.", unresolved_init, NULL,
                      &source)
