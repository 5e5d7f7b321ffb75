/* crm-seed.h — the demo CRM's initial data: a seed file, or generated persons and companies.
 *
 * Generated persons have the fields of the standard benchmark entity
 * (the shared generator, bench/gen_entities.py: name, email, age, updated, address, tags, score) and are
 * the same for the same count and seed, so runs and benchmarks are repeatable.
 */
#pragma once

#include "crm-server.h"

G_BEGIN_DECLS

/* Loads @path into @server's resources.  The file holds an object of resource arrays
 * ({"persons": […], "companies": […]}), or an array of persons, or persons as JSON lines. */
gboolean crm_seed_load_file (CrmServer *server, const char *path, GError **error);

/* Adds @n persons "person-0"… and, when @n > 0, max (1, n / 20) companies "company-0"… */
void crm_seed_generate (CrmServer *server, guint n, guint32 seed);

G_END_DECLS
