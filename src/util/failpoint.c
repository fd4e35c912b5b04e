/* Fail points armed by TINYKV_FAILPOINTS (see failpoint.h). */
#include "util/failpoint.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FP_MAX 8
#define FP_NAME 48

static struct {
	char name[FP_NAME];
	unsigned long left;
} fps[FP_MAX];
static int n_fps = -1; /* -1: environment not read yet */

static void arm(void)
{
	n_fps = 0;
	const char *env = getenv("TINYKV_FAILPOINTS");
	if (!env || !*env)
		return;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", env);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok && n_fps < FP_MAX;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char *end = NULL;
		unsigned long n = eq ? strtoul(eq + 1, &end, 10) : 0;
		if (!eq || eq == tok || (size_t)(eq - tok) >= FP_NAME || n == 0 || !end || *end) {
			fprintf(stderr, "TINYKV_FAILPOINTS: ignoring '%s' (want name=N, N >= 1)\n",
			        tok);
			continue;
		}
		memcpy(fps[n_fps].name, tok, (size_t)(eq - tok));
		fps[n_fps].name[eq - tok] = '\0';
		fps[n_fps].left = n;
		n_fps++;
	}
}

void tk_failpoint(const char *name)
{
	if (n_fps == 0)
		return;
	if (n_fps < 0) {
		arm();
		if (n_fps == 0)
			return;
	}
	for (int i = 0; i < n_fps; i++) {
		if (strcmp(fps[i].name, name) != 0 || fps[i].left == 0)
			continue;
		if (--fps[i].left == 0) {
			char msg[128];
			int len = snprintf(msg, sizeof msg, "failpoint %s: killing the process\n", name);
			if (len > 0 && write(2, msg, (size_t)len) < 0) {
				/* nothing to do: we die either way */
			}
			raise(SIGKILL);
		}
	}
}
