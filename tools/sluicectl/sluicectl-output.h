/* sluicectl-output.h — how sluicectl prints: aligned tables and key/value lists for people, JSON
 * for scripts (--json), and the formatting of times and counts they share. */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SluicectlTable SluicectlTable;

/* A table with the column headings @first_heading, … (NULL-terminated). */
SluicectlTable *sluicectl_table_new (const char *first_heading, ...) G_GNUC_NULL_TERMINATED;
/* Adds a row: exactly as many cells as there are columns (copied; NULL prints as "-"). */
void sluicectl_table_add_row (SluicectlTable *table, const char *first_cell, ...);
/* Prints the headings and rows, columns separated by two spaces, the last one not padded. */
void sluicectl_table_print (SluicectlTable *table, FILE *out);
void sluicectl_table_free (SluicectlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicectlTable, sluicectl_table_free)

/* Prints @value (any GVariant; a{sv} becomes an object) as indented JSON and a newline. */
void sluicectl_print_variant_json (GVariant *value, FILE *out);
/* Prints JSON text that sluiced produced, followed by a newline. */
void sluicectl_print_json_text (const char *json, FILE *out);

/* (transfer full) µs since the epoch as "2026-11-27 15:04:05Z"; "-" when negative. */
char *sluicectl_format_time (gint64 us);
/* (transfer full) A duration in µs as "0.42 s", "3 min 12 s", "2 h 05 min". */
char *sluicectl_format_duration (gint64 us);

G_END_DECLS
