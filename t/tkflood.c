/* tkflood: a client that does not stop talking.  It sends its standard
 * input to 127.0.0.1:PORT, then keeps sending REPEAT over and over while it
 * reads everything the server says, until the server's side ends or SECONDS
 * pass.  What it read goes to standard output; the exit status says how the
 * server's side ended, which a shell test cannot see through nc:
 *   0  EOF (the server closed cleanly: everything it sent was read)
 *   3  connection reset (ECONNRESET on a read: data in flight may be lost)
 *   4  SECONDS passed and the connection was still open
 *   2  usage or connect error
 * Used by t/inline.t and t/limits.t: a server refusing a client (max-conns,
 * an oversized line or frame) must deliver its error and then EOF, not a
 * reset, however much the client keeps sending. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tkflood PORT SECONDS REPEAT < first-bytes\n");
		return 2;
	}
	int port = atoi(argv[1]);
	double deadline = now_s() + atof(argv[2]);
	/* REPEAT, copied over and over into one buffer to send from */
	size_t one = strlen(argv[3]), rlen = 0;
	char *repeat = malloc(65536 + one);
	while (repeat && one && rlen < 65536) {
		memcpy(repeat + rlen, argv[3], one);
		rlen += one;
	}
	/* what to send first: all of stdin */
	size_t cap = 1 << 16, len = 0;
	char *first = malloc(cap);
	ssize_t n;
	while (first && (n = read(0, first + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			first = realloc(first, cap *= 2);
	}
	int fd = connect_to(port);
	if (!first || !repeat || fd < 0 || rlen == 0) {
		fprintf(stderr, "tkflood: cannot connect to port %d\n", port);
		if (fd >= 0)
			close(fd);
		free(first);
		free(repeat);
		return 2;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	size_t sent = 0, rpos = 0;
	int sending = 1, rc = 4; /* 4: the time ran out */
	char buf[65536];
	while (now_s() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sending ? POLLOUT : 0)};
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			break;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof buf, 0);
			if (n > 0) {
				fwrite(buf, 1, (size_t)n, stdout);
				continue;
			}
			if (n == 0) {
				rc = 0;
				goto out;
			}
			if (errno == ECONNRESET) {
				fprintf(stderr, "tkflood: connection reset by the server\n");
				rc = 3;
				goto out;
			}
			if (errno != EAGAIN && errno != EINTR) {
				perror("tkflood: recv");
				rc = 2;
				goto out;
			}
		}
		if (sending && (p.revents & POLLOUT)) {
			const char *src;
			size_t avail;
			if (sent < len) {
				src = first + sent;
				avail = len - sent;
			} else {
				src = repeat + rpos;
				avail = rlen - rpos;
			}
			n = send(fd, src, avail, MSG_NOSIGNAL);
			if (n > 0) {
				if (sent < len)
					sent += (size_t)n;
				else
					rpos = (rpos + (size_t)n) % rlen;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				sending = 0; /* the server is gone for writing: keep reading */
			}
		}
	}
out:
	fflush(stdout);
	close(fd);
	free(first);
	free(repeat);
	return rc;
}
