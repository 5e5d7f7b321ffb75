/* http-template.h — the small template language of URLs, headers, parameters and bodies
 * (docs/templates.md).
 *
 * A template is text with placeholders: `persons/{{ entity._id | urlquote }}?since={{ since }}`.
 * A placeholder is a dotted path into the variables (a DICT: `entity`, `since`, `properties`, …),
 * where a number indexes a list, followed by zero or more filters: `urlquote`, `json`, `upper`,
 * `lower`.  Templates are compiled once (errors name the byte where the problem is) and rendered
 * per entity.  This is not a general template engine: no conditions, loops or expressions. */
#pragma once

#include <sluice-plugin-sdk.h>

typedef struct _HttpTemplate HttpTemplate;

/* @what names the template in error messages ("url", "headers.X-Key"); copied. */
HttpTemplate *http_template_compile (const char *text, const char *what, GError **error);
void http_template_free (HttpTemplate *tmpl);

/* Renders with @variables (a DICT).  A path that leads nowhere is an error naming the path; a
 * null value renders as the empty text. */
char *http_template_render (const HttpTemplate *tmpl, const SluiceValue *variables, GError **error);

/* Renders a template that is a single placeholder with no filter as the value itself (so that a
 * JSON body `{{ entity }}` keeps its structure); NULL when the template is anything else. */
SluiceValue *http_template_render_value (const HttpTemplate *tmpl, const SluiceValue *variables,
                                         GError **error);
gboolean http_template_is_single_value (const HttpTemplate *tmpl);

/* Whether some placeholder starts with the variable @name (`since` in a URL turns off adding the
 * since parameter). */
gboolean http_template_uses_variable (const HttpTemplate *tmpl, const char *name);
/* Whether the template has no placeholder at all. */
gboolean http_template_is_constant (const HttpTemplate *tmpl);
const char *http_template_get_text (const HttpTemplate *tmpl);

/* The text form of a value in a rendered template: strings as they are, null as "", numbers and
 * booleans as JSON, datetimes as ISO 8601, bytes as base64, lists and dicts as JSON. */
char *http_template_value_to_text (const SluiceValue *value);

/* Percent-encodes everything but the unreserved characters of RFC 3986 (A-Z a-z 0-9 - . _ ~). */
char *http_template_urlquote (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpTemplate, http_template_free)
