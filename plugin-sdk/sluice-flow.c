/* sluice-flow.c — names of flow codes, for log messages. */
#include "sluice-flow.h"

const char *
sluice_flow_get_name (SluiceFlow flow)
{
  switch (flow)
    {
    case SLUICE_FLOW_OK:
      return "ok";
    case SLUICE_FLOW_EOS:
      return "end-of-stream";
    case SLUICE_FLOW_RETRY:
      return "retry";
    case SLUICE_FLOW_ERROR:
      return "error";
    default:
      return "unknown";
    }
}
