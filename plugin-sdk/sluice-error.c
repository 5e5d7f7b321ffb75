/* sluice-error.c — the SDK error domain. */
#include "sluice-error.h"

G_DEFINE_QUARK (sluice-error-quark, sluice_error)
