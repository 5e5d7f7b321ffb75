/* sluice-main-context.h — handing work from a worker thread to the thread that runs a main context.
 *
 * g_main_context_invoke () is not that: when the calling thread's thread-default context is the
 * target (a worker thread that pushed none has the global default context, which is also where
 * the main loop runs) and the context happens to be free at that instant, it runs the function at
 * once on the calling thread, concurrently with the main loop's next iteration.  Objects that live
 * on the main context (libsoup messages, GObject signal handlers) must never see that.  This always
 * queues an idle source, so @func runs on the thread that iterates @context, in the order posted.
 */
#pragma once

#include <glib.h>

static inline void
sluice_main_context_post (GMainContext *context, GSourceFunc func, gpointer data,
                          GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}
