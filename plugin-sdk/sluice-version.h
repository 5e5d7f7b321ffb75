/* sluice-version.h — the plugin ABI version this SDK implements.
 *
 * A plugin records the ABI it was built against (through SLUICE_PLUGIN_DEFINE); the host accepts it
 * when the major version matches and the minor version is not newer than the host's own.  Minor
 * versions only ever append fields to structs, so an older plugin stays readable.
 */
#pragma once

#define SLUICE_PLUGIN_ABI_MAJOR 1
#define SLUICE_PLUGIN_ABI_MINOR 1

/* "SLPG" in ASCII: the first field of every plugin descriptor. */
#define SLUICE_PLUGIN_MAGIC 0x534c5047u
