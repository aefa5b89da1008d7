/* Subcommands whose module is not built yet answer so, plainly. */
#include <stdio.h>

#include "cli.h"

#define STUB(fn, name)                                                   \
	int fn(int argc, char **argv)                                    \
	{                                                                \
		fprintf(stderr, "torn: '%s' is not available in this build\n", \
			name);                                           \
		return TORN_EXIT_INFRA;                                  \
	}

#ifdef STUB_TRACE_DUMP
STUB(cmd_trace_dump, "trace-dump")
#endif
#ifdef STUB_STATES
STUB(cmd_states, "states")
STUB(cmd_state_image, "state-image")
#endif
#ifdef STUB_TRACE
STUB(cmd_trace, "trace")
STUB(cmd_verify, "verify")
#endif
#ifdef STUB_AGENT_CALL
STUB(cmd_agent_call, "agent-call")
#endif
