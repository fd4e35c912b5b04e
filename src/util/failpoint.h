/* Fail points: named places where a test makes the process die, SIGKILLing
 * itself, on the Nth pass, to prove crash recovery at that exact moment
 * (between the raft log write and the apply, say), which a SIGKILL from
 * outside hits only by luck.
 *
 * Armed by the environment: TINYKV_FAILPOINTS="name=N[,name=N...]" kills the
 * process the Nth time execution reaches tk_failpoint("name") (N >= 1).
 * Read once, at the first call.  Unarmed (the normal case) a fail point costs
 * one test of a flag.  An unparsable value is reported on stderr and
 * ignored: a typo must not silently test nothing, nor crash production. */
#ifndef TK_UTIL_FAILPOINT_H
#define TK_UTIL_FAILPOINT_H

void tk_failpoint(const char *name);

#endif
