/* sluice-since.h — arithmetic on a pipe's stored offset ("since", digest §3.6).
 *
 * A partial rescan (`partial_rescan_delta`, digest §3.4 and Appendix B10) starts from the stored
 * offset moved back by a delta: an integer or float offset loses the delta itself, a datetime
 * offset loses that many seconds.  Other offsets (strings, composite lists) have no order that
 * a delta could move along, so they cannot be rewound.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The offset @since_json (JSON text with transit encoding) rewound by @delta (finite, ≥ 0), as
 * newly allocated JSON text: "12637" - 100 → "12537", "\"~t2018-04-27T15:46:40Z\"" - 3600 →
 * "\"~t2018-04-27T14:46:40Z\"".  An integer offset needs a whole delta.  Fails with
 * G_IO_ERROR_INVALID_ARGUMENT (bad delta) or G_IO_ERROR_INVALID_DATA (an offset that is not valid
 * JSON, not a number or datetime, or would leave the representable range); the message quotes
 * the offset. */
char *sluice_since_rewind (const char *since_json, double delta, GError **error);

G_END_DECLS
