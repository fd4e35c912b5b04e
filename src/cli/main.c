/* tinykv-cli: command-line client for tinykv's raw KV API.
 *
 *   tinykv-cli [options]                 interactive shell (stdin a tty)
 *   tinykv-cli [options] < script        one command per line
 *   tinykv-cli [options] CMD ARGS...     one command (arguments taken as is)
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tinykv-cli [options] [COMMAND [ARG]...]\n"
		"Client for the tinykv key-value store (raw KV API).\n"
		"\n"
		"Without a command, reads commands from stdin: an interactive shell with\n"
		"line editing and history (~/.tinykv_history) on a terminal, one command\n"
		"per line otherwise.  Shell and script lines use the quoting of\n"
		"tinykv-protocol(7): \"double quotes\" with \\n \\t \\0 \\xHH escapes, or\n"
		"'single quotes'.  Arguments of a one-shot COMMAND are taken as they are.\n"
		"\n"
		"options:\n"
		"  -a, --address HOST:PORT  server address (default 127.0.0.1:20160)\n"
		"  -s, --scheduler HOST:PORT  scheduler address for the admin commands\n"
		"                           (default 127.0.0.1:2379)\n"
		"      --timeout MS         connect and per-request timeout, 0 for none\n"
		"                           (default: connect 3000, request 10000)\n"
		"      --raw                print values as raw bytes, one per line, nothing else\n"
		"      --json               print one JSON object per command\n"
		"  -h, --help               print this help and exit\n"
		"  -V, --version            print the version and exit\n"
		"\n"
		"commands:\n");
	cli_print_commands(f);
	fprintf(f, "\n"
		   "exit status:\n"
		   "  0  success\n"
		   "  1  get of a key that does not exist\n"
		   "  2  usage error (bad option, unknown command, wrong arguments)\n"
		   "  3  the server answered with an error\n"
		   "  4  connection failed or lost, or timed out\n"
		   "Reading commands from stdin, the status is the highest of all commands.\n"
		   "See tinykv-cli(1).\n");
}

static bool parse_ms(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 3600u * 1000u || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof c);
	tkv_config_default(&c.cfg);
	c.cfg.name = "tinykv-cli";
	c.out = stdout;
	c.err = stderr;
	c.fmt = CLI_HUMAN;

	enum { OPT_TIMEOUT = 256, OPT_RAW, OPT_JSON };
	static const struct option longopts[] = {
		{"address", required_argument, NULL, 'a'},
		{"scheduler", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"raw", no_argument, NULL, OPT_RAW},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	/* "+": stop at the command name, so its own options (scan --limit)
	 * are left to it */
	while ((opt = getopt_long(argc, argv, "+a:s:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': c.cfg.address = optarg; break;
		case 's': c.sched_addr = optarg; break;
		case OPT_TIMEOUT:
			if (!parse_ms(optarg, &c.cfg.timeout_ms)) {
				fprintf(stderr,
					"tinykv-cli: --timeout: expected milliseconds, got '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			c.cfg.connect_timeout_ms = c.cfg.timeout_ms;
			break;
		case OPT_RAW: c.fmt = CLI_RAW; break;
		case OPT_JSON: c.fmt = CLI_JSON; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V':
			printf("tinykv-cli %s (%s)\n", PACKAGE_VERSION, TK_BUILD_INFO);
			return CLI_OK;
		default:
			fprintf(stderr, "Try 'tinykv-cli --help'.\n");
			return CLI_USAGE;
		}
	}
	int st;
	if (optind < argc) {
		size_t n = (size_t)(argc - optind);
		struct tk_slice *args = calloc(n, sizeof *args);
		if (!args)
			return CLI_SERVER;
		for (size_t i = 0; i < n; i++)
			args[i] = tk_slice_str(argv[optind + (int)i]);
		st = cli_run(&c, args, n);
		free(args);
	} else if (isatty(STDIN_FILENO)) {
		st = cli_shell(&c);
	} else {
		st = cli_pipe(&c, stdin);
	}
	cli_txn_close(&c);
	tkv_close(c.client);
	tkv_sched_close(c.sched);
	fflush(stdout);
	return st;
}
