/* tinykv-cli: command-line client for tinykv: raw and transactional
 * commands, and the scheduler's admin commands.
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
		"Client for the tinykv key-value store: raw and transactional reads and writes,\n"
		"and cluster administration through tinykv-scheduler.\n"
		"\n"
		"Without a command, reads commands from stdin: an interactive shell with\n"
		"line editing, history (~/.tinykv_history) and Tab completion on a terminal\n"
		"(Ctrl-C cancels the line, Ctrl-D or quit leaves), one command per line\n"
		"otherwise.  Shell and script lines use the quoting of tinykv-protocol(7):\n"
		"\"double quotes\" with \\n \\t \\0 \\xHH escapes, or 'single quotes'.\n"
		"Arguments of a one-shot COMMAND are taken as they are.\n"
		"\n"
		"options:\n"
		"  -h HOST                  server host (default 127.0.0.1)\n"
		"  -p PORT                  server port (default 20160)\n"
		"  -a, --address HOST:PORT  server address, instead of -h and -p\n"
		"                           (default $TINYKV_ADDR, else 127.0.0.1:20160)\n"
		"  -s, --scheduler HOST:PORT  scheduler address for transactions and the\n"
		"                           admin commands (default $TINYKV_SCHEDULER_ADDR,\n"
		"                           else 127.0.0.1:2379); when given (or set in the\n"
		"                           environment), reads and writes find their region's\n"
		"                           leader through it, and no store address is needed\n"
		"  -x                       read the last argument of COMMAND from stdin, as\n"
		"                           it is (echo -n v | tinykv-cli -x put k)\n"
		"      --timeout MS         connect timeout and a command's whole time, retries\n"
		"                           included; 0 for none (default: connect 3000,\n"
		"                           request 10000, retries up to 20000)\n"
		"      --raw                print values as raw bytes, one per line, nothing else\n"
		"      --json               print one JSON object per command\n"
		"      --help               print this help and exit\n"
		"  -V, --version            print the version and exit\n"
		"\n"
		"commands ('help COMMAND' or 'COMMAND --help' describes one):\n");
	cli_print_commands(f);
	fprintf(f, "\n"
		   "exit status:\n"
		   "  0  success\n"
		   "  1  get of a key that does not exist, cas that did not swap\n"
		   "  2  usage error (bad option, unknown command, wrong arguments)\n"
		   "  3  the server answered with an error\n"
		   "  4  connection failed or lost, or timed out\n"
		   "  5  outcome unknown: a write was sent and no reply came (it may or may not\n"
		   "     have been applied; read the key to find out)\n"
		   "Reading a script from stdin, the status is the highest of all commands; the\n"
		   "interactive shell exits with the status of the last command before quit.\n"
		   "See tinykv-cli(1).\n");
}

/* What -x reads at most: no frame any server accepts is larger (the upper
 * bound of --max-frame), so more could never be sent. */
#define CLI_MAX_STDIN (16u << 20)

/* The address from -a (or $TINYKV_ADDR, or the default) with -h and -p
 * replacing its host or port; IPv6 hosts get their brackets.  Returns false
 * when PORT is not a port number. */
static bool compose_address(const char *base, const char *host, const char *port, char *out,
			    size_t cap)
{
	char bhost[256] = "", bport[16] = "20160";
	const char *colon;
	if (base[0] == '[' && strchr(base, ']')) {
		const char *rb = strchr(base, ']');
		snprintf(bhost, sizeof bhost, "%.*s", (int)(rb - base + 1), base);
		if (rb[1] == ':')
			snprintf(bport, sizeof bport, "%s", rb + 2);
	} else if ((colon = strrchr(base, ':')) && strchr(base, ':') == colon) {
		snprintf(bhost, sizeof bhost, "%.*s", (int)(colon - base), base);
		snprintf(bport, sizeof bport, "%s", colon + 1);
	} else {
		snprintf(bhost, sizeof bhost, "%s", base);
	}
	if (port) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);
		if (!*port || *end || port[0] == '-' || v == 0 || v > 65535)
			return false;
		snprintf(bport, sizeof bport, "%lu", v);
	}
	if (host) {
		bool v6 = strchr(host, ':') && host[0] != '[';
		snprintf(bhost, sizeof bhost, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	}
	snprintf(out, cap, "%s:%s", bhost, bport);
	return true;
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

/* An option getopt refused, in our words: glibc's "unrecognized option"
 * and "invalid option" (with the libtool wrapper's path) say less. */
static int bad_option(char **argv, int opt)
{
	const char *arg = argv[optind - 1];
	if (opt == ':') {
		if (optopt == 'h')
			fprintf(stderr, "tinykv-cli: -h needs a HOST (for help: --help)\n");
		else
			fprintf(stderr, "tinykv-cli: option '%s' needs a value\n", arg);
	} else if (optopt && optopt < 256 && strncmp(arg, "--", 2) != 0) {
		fprintf(stderr, "tinykv-cli: unknown option '-%c'\n", optopt);
	} else if (optopt) {
		fprintf(stderr, "tinykv-cli: option '%.*s' takes no value\n",
			(int)strcspn(arg, "="), arg);
	} else {
		fprintf(stderr, "tinykv-cli: unknown option '%s'\n", arg);
	}
	fprintf(stderr, "Try 'tinykv-cli --help'.\n");
	return CLI_USAGE;
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

	enum { OPT_TIMEOUT = 256, OPT_RAW, OPT_JSON, OPT_HELP };
	static const struct option longopts[] = {
		{"address", required_argument, NULL, 'a'},
		{"scheduler", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"raw", no_argument, NULL, OPT_RAW},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	/* flags win over the environment, which wins over the defaults */
	const char *addr = getenv("TINYKV_ADDR");
	const char *host = NULL, *port = NULL;
	bool from_stdin = false;
	c.sched_addr = getenv("TINYKV_SCHEDULER_ADDR");
	if (addr && !*addr)
		addr = NULL;
	if (c.sched_addr && !*c.sched_addr)
		c.sched_addr = NULL;
	int opt;
	opterr = 0;
	/* "+": stop at the command name, so its own options (scan --limit)
	 * are left to it; ":": a missing value is told apart */
	while ((opt = getopt_long(argc, argv, "+:a:s:h:p:xV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 's': c.sched_addr = optarg; break;
		case 'h': host = optarg; break;
		case 'p': port = optarg; break;
		case 'x': from_stdin = true; break;
		case OPT_TIMEOUT:
			if (!parse_ms(optarg, &c.cfg.timeout_ms)) {
				fprintf(stderr,
					"tinykv-cli: --timeout: expected milliseconds, got '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			c.cfg.connect_timeout_ms = c.cfg.timeout_ms;
			c.cfg.deadline_ms = c.cfg.timeout_ms;
			break;
		case OPT_RAW: c.fmt = CLI_RAW; break;
		case OPT_JSON: c.fmt = CLI_JSON; break;
		case OPT_HELP: usage(stdout); return CLI_OK;
		case 'V':
			printf("tinykv-cli %s (%s)\n", PACKAGE_VERSION, TK_BUILD_INFO);
			return CLI_OK;
		default: return bad_option(argv, opt);
		}
	}
	char address[300];
	if (!compose_address(addr ? addr : "127.0.0.1:20160", host, port, address,
			     sizeof address)) {
		fprintf(stderr, "tinykv-cli: -p: expected a port number (1-65535), got '%s'\n",
			port);
		return CLI_USAGE;
	}
	c.cfg.address = address;
	/* a scheduler named explicitly routes reads and writes; with no store
	 * named, it is the only address */
	c.cfg.scheduler_address = c.sched_addr;
	if (c.sched_addr && !addr && !host && !port)
		c.cfg.address = NULL;
	if (from_stdin && optind == argc) {
		fprintf(stderr, "tinykv-cli: -x needs a COMMAND (its last argument is read from "
				"stdin)\n");
		return CLI_USAGE;
	}
	int st;
	if (optind < argc) {
		size_t n = (size_t)(argc - optind);
		struct tk_slice *args = calloc(n + 1, sizeof *args); /* + the -x argument */
		struct tk_buf in;
		tk_buf_init(&in);
		if (!args)
			return CLI_SERVER;
		for (size_t i = 0; i < n; i++)
			args[i] = tk_slice_str(argv[optind + (int)i]);
		if (from_stdin) {
			struct tk_errbuf eb;
			if (tk_buf_read_fd(&in, STDIN_FILENO, CLI_MAX_STDIN, &eb) != TK_OK) {
				fprintf(stderr, "tinykv-cli: -x: reading stdin: %s\n", eb.msg);
				free(args);
				tk_buf_destroy(&in);
				return CLI_USAGE;
			}
			args[n++] = tk_slice_of(in.len ? (const void *)in.data : "", in.len);
		}
		st = cli_run(&c, args, n);
		free(args);
		tk_buf_destroy(&in);
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
