/* crm-server.h — the HTTP side of the demo CRM: a SoupServer on 127.0.0.1 that serves the
 * resources (JSON pull, per-id CRUD, JSON push receiver, enrichment) and the admin endpoints
 * (/_control, /_stats).  See demo/crm/README.md for the endpoints.
 */
#pragma once

#include "crm-faults.h"
#include "crm-resource.h"

G_BEGIN_DECLS

typedef struct _CrmServer CrmServer;

CrmServer *crm_server_new (gboolean quiet);
void crm_server_free (CrmServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrmServer, crm_server_free)

/* The resource named @name ("persons", "companies"), or NULL. */
CrmResource *crm_server_get_resource (CrmServer *server, const char *name);
CrmFaults *crm_server_get_faults (CrmServer *server);
/* Whether PUT and DELETE of an existing entity must carry If-Match (428 otherwise). */
void crm_server_set_require_if_match (CrmServer *server, gboolean require);

/* Listens on 127.0.0.1:@port (0: a free port); @ret_port is the port listened on. */
gboolean crm_server_listen (CrmServer *server, guint port, guint *ret_port, GError **error);

G_END_DECLS
