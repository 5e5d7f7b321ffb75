/* sluice-config-loader.h — loads a configuration from files and directories.
 *
 * sluice_config_load is a pure function: files, secrets file, environment and registry in, a new
 * SluiceConfig or the complete list of problems out.  It keeps no global state, so a reload can call
 * it while the running configuration stays in use, and swap only on success.
 *
 * Steps, in order:
 *  1. each path is a file (read whatever its name) or a directory (its *.json files, not those
 *     starting with '.', sorted by byte order of their names; not recursive);
 *  2. the secrets file, when given, is checked and read (sluice-secrets.h);
 *  3. each file is parsed (sluice-config-source.h) and holds one component object or an array of
 *     them;
 *  4. $ENV(name) and $SECRET(name) are substituted (sluice-config-substitute.h); then `_id`, as
 *     substituted, must be unique across all files (a duplicate names both places), and may not
 *     come from a $SECRET;
 *  5. each component is validated (sluice-config-validate.h);
 *  6. each valid pattern component is expanded by its element's expand callback (with the pattern's
 *     option defaults filled in) into ordinary components that take its place, and those are
 *     validated in turn; their problems are located at the pattern and say so.  A pattern may not
 *     generate another pattern.  Generated string values that contain a secret the pattern received
 *     are treated as secret;
 *  7. a pipe without a sink gets {"type": "dataset", "dataset": <pipe _id>} when a dataset sink type
 *     is registered;
 *  8. once every file is read, each pipe named in the `pipes` of an API token must be a pipe of
 *     the configuration (the closest pipe _id is suggested).
 * Problems never stop loading early: all of them are collected.
 */
#pragma once

#include "sluice-config-diagnostics.h"
#include "sluice-config.h"
#include "sluice-registry.h"

G_BEGIN_DECLS

/* @paths: NULL-terminated files and directories.  @secrets_file may be NULL.  @envp: the environment
 * for $ENV (NULL: the process environment).  Problems are appended to @diagnostics.  Returns the
 * configuration, or NULL with @error (SLUICE_CONFIG_ERROR_INVALID, "N errors in M files") when any
 * problem was found. */
SluiceConfig *sluice_config_load (SluiceRegistry *registry, const char *const *paths,
                                  const char *secrets_file, const char *const *envp,
                                  SluiceConfigDiagnostics *diagnostics, GError **error);

G_END_DECLS
