/* dtl-fn-ni.c — namespaced identifiers (digest §1.6, §11.7 "Namespaced identifiers"): the NI
 * functions, `apply-ns`/`strip-ns`, and the namespace rules the transform functions share
 * (dtl-ns.h). */
#include "dtl-compiler.h"
#include "dtl-ns.h"

#include <string.h>

/* The built-in prefixes of service metadata `namespaces.default`. */
static const char *const default_namespaces[][2] = {
  { "_", "http://example.org/" },
  { "rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#" },
  { "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
  { "owl", "http://www.w3.org/2002/07/owl#" },
  { "foaf", "http://xmlns.com/foaf/0.1/" },
  { "wgs84", "http://www.w3.org/2003/01/geo/wgs84_pos#" },
  { "xsd", "http://www.w3.org/2001/XMLSchema#" },
  { "dc", "http://purl.org/dc/elements/1.1/" },
  { "skos", "http://www.w3.org/2004/02/skos/core#" },
  { "dcterms", "http://purl.org/dc/terms/" },
};

const char *
sluice_dtl_ns_split (const char *key, size_t *ret_ns_len)
{
  const char *colon = strrchr (key, ':');

  *ret_ns_len = colon ? (size_t) (colon - key) : 0;
  return colon ? colon + 1 : key;
}

char *
sluice_dtl_ns_property_key (const DtlProgram *program, const char *name)
{
  if (g_str_has_prefix (name, "::"))
    return g_strdup (name + 2);
  if (!program->namespaced)
    return g_strdup (name);
  if (name[0] == ':')
    return g_strconcat (program->property_ns, name, NULL);
  if (name[0] == '_' || name[0] == '$' || strchr (name, ':') != NULL)
    return g_strdup (name);
  return g_strconcat (program->property_ns, ":", name, NULL);
}

static SluiceValue *
prefix_id (const char *ns, SluiceValue *value)
{
  size_t len, ns_len = strlen (ns);
  const char *s = dtl_string (value, &len);
  g_autofree char *text = NULL;

  if (s == NULL || (len > ns_len && strncmp (s, ns, ns_len) == 0 && s[ns_len] == ':'))
    return sluice_value_ref (value);
  text = g_strdup_printf ("%s:%.*s", ns, (int) len, s);
  return sluice_value_new_string (text, -1);
}

SluiceValue *
sluice_dtl_ns_id_value (const DtlProgram *program, SluiceValue *value)
{
  return prefix_id (program->identity_ns, value);
}

gboolean
sluice_dtl_ns_pattern_matches (const DtlProgram *program, const char *pattern, const char *key)
{
  size_t ns_len;
  const char *ident;

  if (!program->namespaced)
    return g_pattern_match_simple (pattern, key);
  if (g_str_has_prefix (pattern, "::"))
    return g_pattern_match_simple (pattern + 2, key);
  if (strchr (pattern, ':') != NULL)
    return g_pattern_match_simple (pattern, key);
  ident = sluice_dtl_ns_split (key, &ns_len);
  return g_pattern_match_simple (pattern, ident);
}

/* The NI functions. */

/* A URI as an NI: a declared prefix becomes its namespace; otherwise the URI is split after its
 * last '/' or '#' and the prefix gets a generated namespace "<pipe>-1". */
static SluiceValue *
collapse_uri (DtlEval *ev, const char *uri, size_t len)
{
  const char *split;
  g_autofree char *text = NULL;

  for (size_t i = 0; i < G_N_ELEMENTS (default_namespaces); i++)
    {
      size_t plen = strlen (default_namespaces[i][1]);

      if (len >= plen && strncmp (uri, default_namespaces[i][1], plen) == 0)
        {
          text = g_strdup_printf ("%s:%.*s", default_namespaces[i][0], (int) (len - plen), uri + plen);
          return sluice_value_new_ni (text, -1);
        }
    }
  split = NULL;
  for (size_t i = len; i > 0; i--)
    if (uri[i - 1] == '/' || uri[i - 1] == '#')
      {
        split = uri + i;
        break;
      }
  if (split == NULL)
    return sluice_value_new_ni (uri, len);
  text = g_strdup_printf ("%s-1:%.*s", ev->program->pipe_id, (int) (uri + len - split), split);
  return sluice_value_new_ni (text, -1);
}

static SluiceValue *
ni_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  const char *ns = data;
  size_t len;
  const char *s;

  if (dtl_kind (item) == SLUICE_VALUE_NI)
    return sluice_value_ref (item);
  if (ns == NULL && dtl_kind (item) == SLUICE_VALUE_URI)
    {
      s = sluice_value_get_string (item, &len);
      return collapse_uri (ev, s, len);
    }
  s = dtl_string (item, &len);
  if (s == NULL)
    return NULL;
  if (ns == NULL)
    return sluice_value_new_ni (s, len);
  {
    g_autofree char *text = g_strdup_printf ("%s:%.*s", ns, (int) len, s);

    return sluice_value_new_ni (text, -1);
  }
}

static SluiceValue *
fn_ni (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) ns = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const char *ns_s = NULL;

  if (ns != NULL)
    {
      ns_s = dtl_string (ns, NULL);
      if (ns_s == NULL)
        return dtl_null ();
    }
  return sluice_dtl_map (ev, node, v, ni_one, (gpointer) ns_s);
}

static SluiceValue *
ni_part_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  gboolean want_ns = GPOINTER_TO_INT (data);
  size_t len;
  const char *s, *colon;

  if (dtl_kind (item) != SLUICE_VALUE_NI && dtl_kind (item) != SLUICE_VALUE_STRING)
    return NULL;
  s = sluice_value_get_string (item, &len);
  colon = memchr (s, ':', len);
  if (want_ns)
    return sluice_value_new_string (s, colon ? colon - s : 0);
  return colon ? sluice_value_new_string (colon + 1, s + len - colon - 1) : sluice_value_new_string (s, len);
}

static SluiceValue *
fn_ni_ns (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, ni_part_one, GINT_TO_POINTER (TRUE));
}

static SluiceValue *
fn_ni_id (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, ni_part_one, GINT_TO_POINTER (FALSE));
}

static SluiceValue *
fn_is_ni (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_NI);
}

static SluiceValue *
collapse_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s;

  if (dtl_kind (item) != SLUICE_VALUE_URI)
    return dtl_kind (item) == SLUICE_VALUE_NI ? sluice_value_ref (item) : NULL;
  s = sluice_value_get_string (item, &len);
  return collapse_uri (ev, s, len);
}

static SluiceValue *
fn_ni_collapse (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, collapse_one, NULL);
}

static SluiceValue *
expand_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s, *colon;

  if (dtl_kind (item) != SLUICE_VALUE_NI)
    return dtl_kind (item) == SLUICE_VALUE_URI ? sluice_value_ref (item) : NULL;
  s = sluice_value_get_string (item, &len);
  colon = memchr (s, ':', len);
  if (colon != NULL)
    for (size_t i = 0; i < G_N_ELEMENTS (default_namespaces); i++)
      if ((size_t) (colon - s) == strlen (default_namespaces[i][0])
          && strncmp (s, default_namespaces[i][0], colon - s) == 0)
        {
          g_autofree char *text = g_strdup_printf ("%s%.*s", default_namespaces[i][1],
                                                   (int) (s + len - colon - 1), colon + 1);

          return sluice_value_new_uri (text, -1);
        }
  return NULL;
}

static SluiceValue *
fn_ni_expand (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, expand_one, NULL);
}

/* apply-ns and strip-ns. */

typedef struct
{
  const char *property_ns; /* NULL: do not add */
  const char *identity_ns; /* NULL: do not add */
  gboolean skip_underscore;
  gboolean skip_dollar;
  gboolean recursive;
} NsConfig;

static SluiceValue *apply_ns_value (const NsConfig *config, SluiceValue *v, gboolean top);

static SluiceValue *
apply_ns_dict (const NsConfig *config, SluiceValue *d, gboolean top)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  for (size_t i = 0; i < sluice_value_dict_get_size (d); i++)
    {
      const char *key = sluice_value_dict_get_key (d, i);
      SluiceValue *value = sluice_value_dict_get_value (d, i);
      gboolean skip = strchr (key, ':') != NULL || config->property_ns == NULL
                      || (config->skip_underscore && key[0] == '_')
                      || (config->skip_dollar && key[0] == '$');
      g_autofree char *new_key = skip ? g_strdup (key) : g_strconcat (config->property_ns, ":", key, NULL);
      SluiceValue *new_value;

      if (top && strcmp (key, "_id") == 0 && config->identity_ns != NULL)
        new_value = prefix_id (config->identity_ns, value);
      else if (config->recursive)
        new_value = apply_ns_value (config, value, FALSE);
      else
        new_value = sluice_value_ref (value);
      sluice_dict_builder_take (builder, new_key, new_value);
    }
  return sluice_dict_builder_end (builder);
}

static SluiceValue *
apply_ns_value (const NsConfig *config, SluiceValue *v, gboolean top)
{
  if (dtl_kind (v) == SLUICE_VALUE_DICT)
    return apply_ns_dict (config, v, top);
  if (dtl_kind (v) == SLUICE_VALUE_LIST)
    {
      SluiceListBuilder *builder = sluice_list_builder_new ();

      for (size_t i = 0; i < sluice_value_list_get_length (v); i++)
        sluice_list_builder_take (builder, apply_ns_value (config, sluice_value_list_get (v, i), top));
      return sluice_list_builder_end (builder);
    }
  return sluice_value_ref (v);
}

static const char *
config_ns (SluiceValue *config, const char *key, const char *fallback)
{
  SluiceValue *v = sluice_value_dict_lookup (config, key);

  if (v == NULL)
    return fallback;
  return dtl_string (v, NULL); /* null (or a non-string): do not add */
}

static gboolean
config_flag (SluiceValue *config, const char *key, gboolean fallback)
{
  SluiceValue *v = sluice_value_dict_lookup (config, key);

  return v != NULL && dtl_kind (v) == SLUICE_VALUE_BOOLEAN ? sluice_value_get_boolean (v) : fallback;
}

static SluiceValue *
fn_apply_ns (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) spec = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  NsConfig config = { ev->program->property_ns, ev->program->identity_ns, TRUE, TRUE, TRUE };

  if (dtl_kind (spec) == SLUICE_VALUE_STRING)
    config.property_ns = config.identity_ns = sluice_value_get_string (spec, NULL);
  else if (dtl_kind (spec) == SLUICE_VALUE_DICT)
    {
      config.property_ns = config_ns (spec, "property_namespace", config.property_ns);
      config.identity_ns = config_ns (spec, "identity_namespace", config.identity_ns);
      config.skip_underscore = config_flag (spec, "skip_underscore", TRUE);
      config.skip_dollar = config_flag (spec, "skip_dollar", TRUE);
      config.recursive = config_flag (spec, "recursive", TRUE);
    }
  else
    return dtl_null ();
  return apply_ns_value (&config, v, TRUE);
}

static SluiceValue *
strip_ns_value (SluiceValue *v)
{
  if (dtl_kind (v) == SLUICE_VALUE_DICT)
    {
      SluiceDictBuilder *builder = sluice_dict_builder_new ();

      for (size_t i = 0; i < sluice_value_dict_get_size (v); i++)
        {
          size_t ns_len;
          const char *ident = sluice_dtl_ns_split (sluice_value_dict_get_key (v, i), &ns_len);

          sluice_dict_builder_take (builder, ident, strip_ns_value (sluice_value_dict_get_value (v, i)));
        }
      return sluice_dict_builder_end (builder);
    }
  if (dtl_kind (v) == SLUICE_VALUE_LIST)
    {
      SluiceListBuilder *builder = sluice_list_builder_new ();

      for (size_t i = 0; i < sluice_value_list_get_length (v); i++)
        sluice_list_builder_take (builder, strip_ns_value (sluice_value_list_get (v, i)));
      return sluice_list_builder_end (builder);
    }
  return sluice_value_ref (v);
}

static SluiceValue *
fn_strip_ns (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return strip_ns_value (v);
}

const DtlFunction sluice_dtl_fn_ni[] = {
  { "ni", 1, 2, 0, fn_ni },
  { "ni-ns", 1, 1, 0, fn_ni_ns },
  { "ni-id", 1, 1, 0, fn_ni_id },
  { "is-ni", 1, 1, 0, fn_is_ni },
  { "ni-collapse", 1, 1, 0, fn_ni_collapse },
  { "ni-expand", 1, 1, 0, fn_ni_expand },
  { "apply-ns", 2, 2, 0, fn_apply_ns },
  { "strip-ns", 1, 1, 0, fn_strip_ns },
  { NULL },
};
