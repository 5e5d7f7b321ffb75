/* crm-faults.h — the misbehaviour the demo CRM can be told to show.
 *
 * Faults are set through POST /_control or --fault and apply to the requests of one resource (or
 * of all) and optionally of one HTTP method, for a number of requests or until reset.  Status
 * faults (transient-500, permanent-500, rate-limit) apply to every request of the resource; body
 * faults (empty, partial, truncated) only to list responses (GET /persons); slow delays any
 * response and combines with the others.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  CRM_FAULT_TRANSIENT_500,
  CRM_FAULT_PERMANENT_500,
  CRM_FAULT_EMPTY,
  CRM_FAULT_PARTIAL,
  CRM_FAULT_RATE_LIMIT,
  CRM_FAULT_SLOW,
  CRM_FAULT_TRUNCATED,
} CrmFaultKind;

/* What the faults decided for one request. */
typedef struct
{
  guint status;      /* 0: answer normally; 500 or 429 otherwise */
  guint retry_after; /* seconds, with status 429 */
  guint delay_ms;
  gboolean empty;
  guint partial_percent; /* 0: all entities */
  gboolean truncated;
  const char *fault_name; /* the status fault applied, for logs and bodies */
} CrmFaultPlan;

typedef struct _CrmFaults CrmFaults;

CrmFaults *crm_faults_new (void);
void crm_faults_free (CrmFaults *faults);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrmFaults, crm_faults_free)

/* Adds a fault from a control object such as {"fault":"transient-500","count":2,
 * "resource":"persons"}.  {"fault":"reset"} (optionally with "resource") clears faults. */
gboolean crm_faults_apply_json (CrmFaults *faults, JsonObject *object, GError **error);
/* The same from the command line: "KIND[:key=value,...]", e.g. "rate-limit:count=3,retry_after=2".
 */
gboolean crm_faults_apply_spec (CrmFaults *faults, const char *spec, GError **error);
void crm_faults_reset (CrmFaults *faults, const char *resource);

/* Decides what happens to a request and uses up one count of each fault that applied. */
void crm_faults_plan (CrmFaults *faults, const char *resource, const char *method, gboolean is_list,
                      CrmFaultPlan *ret_plan);

/* The active faults, as GET /_control shows them. */
JsonNode *crm_faults_to_json (CrmFaults *faults);

G_END_DECLS
