/* sluice-config-error.h — the error domain of configuration: parsing, reading files, secrets,
 * validation.  Apart from sluice-config.h so that the parser and the secrets reader, which
 * sluice-config.c uses, need not include it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_CONFIG_ERROR (sluice_config_error_quark ())

typedef enum
{
  SLUICE_CONFIG_ERROR_FAILED,
  SLUICE_CONFIG_ERROR_PARSE,   /* a file is not valid JSON */
  SLUICE_CONFIG_ERROR_IO,      /* a file or directory cannot be read */
  SLUICE_CONFIG_ERROR_SECRETS, /* the secrets file is unsafe or malformed */
  SLUICE_CONFIG_ERROR_INVALID, /* the configuration has errors (see the diagnostics) */
} SluiceConfigError;

GQuark sluice_config_error_quark (void);

G_END_DECLS
