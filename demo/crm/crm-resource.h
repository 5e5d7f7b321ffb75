/* crm-resource.h — one collection of the demo CRM (persons, companies) held in memory.
 *
 * A resource is a log of versions in the order they were written, each with the server's own
 * increasing `_updated` sequence, plus an index from `_id` to the current version.  The log is
 * what JSON pull reads (strictly after `since`, in offset order); superseded versions stay in the
 * log so that a read that started earlier still sees the version that was current when it began.
 * The resource also holds the state of the JSON push protocol (the active full-sync sequence).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *id;
  char *body;           /* compact JSON object, `_id` first, without `_updated` and `_deleted` */
  gint64 seq;           /* `_updated` */
  gint64 superseded_by; /* the `_updated` of the next version; -1 while this one is current */
  gboolean deleted;
} CrmRecord;

typedef struct _CrmResource CrmResource;

CrmResource *crm_resource_new (const char *name, const char *id_prefix);
void crm_resource_free (CrmResource *resource);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrmResource, crm_resource_free)

const char *crm_resource_get_name (CrmResource *resource);

/* Writes a version of @id unless the current one has the same body and deleted flag (change
 * tracking).  @body is taken over.  Returns the current record (borrowed); @ret_changed tells
 * whether a version was written. */
CrmRecord *crm_resource_put (CrmResource *resource, const char *id, char *body, gboolean deleted,
                             gboolean *ret_changed);

/* The current version of @id, deleted ones included; NULL if it was never written. */
CrmRecord *crm_resource_lookup (CrmResource *resource, const char *id);

/* A fresh id that is not in use: "<prefix>-<n>". */
char *crm_resource_generate_id (CrmResource *resource);

/* The highest `_updated` written; -1 while empty. */
gint64 crm_resource_get_max_seq (CrmResource *resource);
guint crm_resource_get_log_length (CrmResource *resource);
CrmRecord *crm_resource_get_log_record (CrmResource *resource, guint index);
/* The log index of the first version whose `_updated` is strictly greater than @since. */
guint crm_resource_find_after (CrmResource *resource, gint64 since);
/* Ids of the current, not deleted versions (borrowed keys). */
GPtrArray *crm_resource_dup_live_ids (CrmResource *resource);

/* Whether @record is the current version as of the moment @snapshot was the highest `_updated`. */
gboolean crm_record_is_current_at (const CrmRecord *record, gint64 snapshot);
/* Appends the record as served: its body with `_updated` (and `_deleted: true`) added. */
void crm_record_append_json (const CrmRecord *record, GString *out);
char *crm_record_to_json (const CrmRecord *record);
/* The ETag of the record: a quoted hash of its content (body and deleted flag). */
char *crm_record_dup_etag (const CrmRecord *record);

/* The stored body of an entity given as JSON: @id as `_id` first, then the members of @object in
 * their order, without the fields the server owns (`_id`, `_updated`, `_deleted`, `_previous`,
 * `_ts`, `_hash`).  Every body goes through this, so equal content gives equal text. */
char *crm_body_from_object (JsonObject *object, const char *id);

/* The JSON push protocol's active full-sync sequence. */
typedef struct
{
  char *sequence_id;     /* NULL: none active */
  char *last_request_id; /* NULL: none yet, or the sender sent no request_id */
  GHashTable *seen;      /* ids pushed in this sequence */
  guint requests;
} CrmPushSequence;

CrmPushSequence *crm_resource_get_push_sequence (CrmResource *resource);
void crm_push_sequence_clear (CrmPushSequence *sequence);

G_END_DECLS
