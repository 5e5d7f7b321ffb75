/* sluice-log.h — logging from plugins, tagged with plugin, element and component.
 *
 * Messages go through g_log_structured with the fields SLUICE_PLUGIN, SLUICE_ELEMENT and
 * SLUICE_COMPONENT (the pipe or system `_id`), so that a journal query or a log processor can pick
 * out one pipe's messages.  Never log secret option values: the host redacts them in configuration
 * it prints, but cannot see into a plugin's own messages.
 */
#pragma once

#include <glib.h>
#include "sluice-context.h"

SLUICE_BEGIN_DECLS

/* @context may be NULL (for messages from plugin init); the log domain is "sluice-plugin". */
SLUICE_SDK_API void sluice_log (const SluiceElementContext *context, GLogLevelFlags level,
                                const char *format, ...) G_GNUC_PRINTF (3, 4);

#define sluice_log_debug(ctx, ...) sluice_log ((ctx), G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define sluice_log_info(ctx, ...) sluice_log ((ctx), G_LOG_LEVEL_INFO, __VA_ARGS__)
#define sluice_log_message(ctx, ...) sluice_log ((ctx), G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
#define sluice_log_warning(ctx, ...) sluice_log ((ctx), G_LOG_LEVEL_WARNING, __VA_ARGS__)

SLUICE_END_DECLS
