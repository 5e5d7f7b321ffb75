/* crm-seed.c — loading and generating the demo CRM's initial data (see crm-seed.h). */
#include "crm-seed.h"

#include <string.h>

static const char *const first_names[]
    = { "Ola", "Kari", "John", "Mary", "Per", "Anne", "Lars", "Ingrid", "Nils", "Eva" };
static const char *const last_names[]
    = { "Nordmann", "Smith", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Dahl" };
static const char *const cities[] = { "Oslo", "Bergen", "Trondheim" };
static const char *const tags[] = { "a", "b", "c", "d", "e", "f" };

#define PICK(rand, array) (array[g_rand_int_range ((rand), 0, G_N_ELEMENTS (array))])

/* Stores @object in @resource; @where names it for the error. */
static gboolean
put_object (CrmResource *resource, JsonNode *node, const char *where, GError **error)
{
  JsonObject *object;
  const char *id;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: expected an entity object", where);
      return FALSE;
    }
  object = json_node_get_object (node);
  id = json_object_get_string_member_with_default (object, "_id", NULL);
  if (id == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s/_id: expected a string", where);
      return FALSE;
    }
  crm_resource_put (resource, id, crm_body_from_object (object, id),
                    json_object_get_boolean_member_with_default (object, "_deleted", FALSE), NULL);
  return TRUE;
}

static gboolean
put_array (CrmResource *resource, JsonArray *array, const char *path, const char *pointer,
           GError **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf ("%s: %s/%u", path, pointer, i);

      if (!put_object (resource, json_array_get_element (array, i), where, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
looks_like_json_lines (const char *text)
{
  const char *end = strchr (text, '\n');
  const char *last;

  if (end == NULL)
    return FALSE;
  last = end;
  while (last > text && g_ascii_isspace (last[-1]))
    last--;
  if (*text != '{' || last == text || last[-1] != '}')
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  return *end != '\0';
}

gboolean
crm_seed_load_file (CrmServer *server, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length;
  const char *start;

  if (!g_file_get_contents (path, &text, &length, error))
    return FALSE;
  start = text;
  while (g_ascii_isspace (*start))
    start++;

  if (*start == '[' || *start == '\0')
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonNode *root;

      if (*start == '\0')
        return TRUE;
      if (!json_parser_load_from_data (parser, text, length, error))
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }
      root = json_parser_get_root (parser);
      return put_array (crm_server_get_resource (server, "persons"), json_node_get_array (root),
                        path, "", error);
    }

  /* An object of resource arrays, or JSON lines.  Several lines of which the first is a whole
   * object are JSON lines; anything else is parsed as one document (json-glib leaks what it
   * parsed when a document has trailing values, so JSON lines are not tried that way). */
  if (!looks_like_json_lines (start))
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *object;
      g_autoptr (GList) members = NULL;
      gboolean all_arrays;

      if (!json_parser_load_from_data (parser, text, length, error))
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }
      object = json_node_get_object (json_parser_get_root (parser));
      members = json_object_get_members (object);
      all_arrays = members != NULL;
      for (GList *l = members; l != NULL; l = l->next)
        all_arrays = all_arrays && JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, l->data));
      if (!all_arrays)
        return put_object (crm_server_get_resource (server, "persons"),
                           json_parser_get_root (parser), path, error);
      for (GList *l = members; l != NULL; l = l->next)
        {
          CrmResource *resource = crm_server_get_resource (server, l->data);
          g_autofree char *pointer = g_strdup_printf ("/%s", (const char *)l->data);

          if (resource == NULL)
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "%s: %s: unknown resource (expected \"persons\" or \"companies\")", path,
                           pointer);
              return FALSE;
            }
          if (!put_array (resource, json_object_get_array_member (object, l->data), path, pointer,
                          error))
            return FALSE;
        }
      return TRUE;
    }

  {
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    CrmResource *persons = crm_server_get_resource (server, "persons");

    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_autoptr (JsonParser) parser = json_parser_new ();
        g_autofree char *where = g_strdup_printf ("%s:%u", path, i + 1);

        g_strstrip (lines[i]);
        if (lines[i][0] == '\0')
          continue;
        if (!json_parser_load_from_data (parser, lines[i], -1, error))
          {
            g_prefix_error (error, "%s: ", where);
            return FALSE;
          }
        if (!put_object (persons, json_parser_get_root (parser), where, error))
          return FALSE;
      }
  }
  return TRUE;
}

static void
generate_person (CrmResource *persons, GRand *rand, guint i)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonObject) address = json_object_new ();
  g_autoptr (JsonArray) picked = json_array_new ();
  g_autofree char *id = g_strdup_printf ("person-%u", i);
  g_autofree char *name
      = g_strdup_printf ("%s %s", PICK (rand, first_names), PICK (rand, last_names));
  g_autofree char *email = g_strdup_printf ("user%u@example.org", i);
  g_autofree char *updated = NULL;
  g_autofree char *street = NULL;
  g_autofree char *zip = NULL;
  guint month, day;
  guint order[G_N_ELEMENTS (tags)];

  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "email", email);
  json_object_set_int_member (object, "age", g_rand_int_range (rand, 18, 91));
  month = g_rand_int_range (rand, 1, 13);
  day = g_rand_int_range (rand, 1, 29);
  updated = g_strdup_printf ("2026-%02u-%02uT12:00:00Z", month, day);
  json_object_set_string_member (object, "updated", updated);

  street = g_strdup_printf ("Street %d", g_rand_int_range (rand, 1, 201));
  zip = g_strdup_printf ("%d", g_rand_int_range (rand, 1000, 10000));
  json_object_set_string_member (address, "street", street);
  json_object_set_string_member (address, "zip", zip);
  json_object_set_string_member (address, "city", PICK (rand, cities));
  json_object_set_object_member (object, "address", json_object_ref (address));

  /* Three distinct tags: the first three of a partial shuffle. */
  for (guint k = 0; k < G_N_ELEMENTS (tags); k++)
    order[k] = k;
  for (guint k = 0; k < 3; k++)
    {
      guint j = g_rand_int_range (rand, k, G_N_ELEMENTS (tags));
      guint swap = order[k];

      order[k] = order[j];
      order[j] = swap;
      json_array_add_string_element (picked, tags[order[k]]);
    }
  json_object_set_array_member (object, "tags", json_array_ref (picked));
  /* Three decimals, as the benchmark entity has. */
  json_object_set_double_member (object, "score", g_rand_int_range (rand, 0, 100000) / 1000.0);

  crm_resource_put (persons, id, crm_body_from_object (object, id), FALSE, NULL);
}

static void
generate_company (CrmResource *companies, GRand *rand, guint i)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autofree char *id = g_strdup_printf ("company-%u", i);
  g_autofree char *name
      = g_strdup_printf ("%s %s AS", PICK (rand, last_names), PICK (rand, cities));
  g_autofree char *org = g_strdup_printf ("%09d", g_rand_int_range (rand, 800000000, 999999999));

  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "org_number", org);
  json_object_set_string_member (object, "city", PICK (rand, cities));
  json_object_set_int_member (object, "employees", g_rand_int_range (rand, 1, 5000));
  crm_resource_put (companies, id, crm_body_from_object (object, id), FALSE, NULL);
}

void
crm_seed_generate (CrmServer *server, guint n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  CrmResource *persons = crm_server_get_resource (server, "persons");
  CrmResource *companies = crm_server_get_resource (server, "companies");

  for (guint i = 0; i < n; i++)
    generate_person (persons, rand, i);
  for (guint i = 0; i < (n > 0 ? MAX (1u, n / 20) : 0); i++)
    generate_company (companies, rand, i);
}
