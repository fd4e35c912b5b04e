/* Address parsing and resolution for libtinykv. */
#include "client/client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

enum tk_err tkv_addr_split(const char *addr, char *host, size_t hostcap, uint16_t *port,
			   struct tk_errbuf *err)
{
	const char *h = addr, *hend, *p = NULL;
	if (addr[0] == '[') {
		h = addr + 1;
		hend = strchr(h, ']');
		if (!hend)
			return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': missing ']'", addr);
		if (hend[1] == ':')
			p = hend + 2;
		else if (hend[1] != '\0')
			return tk_err_set(err, TK_E_BAD_CONFIG,
					  "address '%s': expected ':port' after ']'", addr);
	} else {
		const char *colon = strrchr(addr, ':');
		if (colon && strchr(addr, ':') != colon)
			return tk_err_set(err, TK_E_BAD_CONFIG,
					  "address '%s': write IPv6 as [addr]:port", addr);
		hend = colon ? colon : addr + strlen(addr);
		if (colon)
			p = colon + 1;
	}
	size_t hl = (size_t)(hend - h);
	if (hl == 0)
		return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': empty host", addr);
	if (hl >= hostcap)
		return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': host too long", addr);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!p) {
		*port = TKV_DEFAULT_PORT;
		return TK_OK;
	}
	unsigned long v = 0;
	if (*p == '\0')
		return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': empty port", addr);
	for (const char *q = p; *q; q++) {
		if (*q < '0' || *q > '9' || v > 65535)
			return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': bad port '%s'", addr,
					  p);
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v == 0 || v > 65535)
		return tk_err_set(err, TK_E_BAD_CONFIG, "address '%s': port out of range", addr);
	*port = (uint16_t)v;
	return TK_OK;
}

enum tk_err tkv_addr_resolve(const char *addr, struct tkv_addrs *out, struct tk_errbuf *err)
{
	char host[256];
	uint16_t port;
	enum tk_err e = tkv_addr_split(addr, host, sizeof host, &port, err);
	if (e)
		return e;
	out->n = 0;
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa[0];
	memset(&out->sa[0], 0, sizeof out->sa[0]);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len[0] = sizeof *sin;
		out->n = 1;
		return TK_OK;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len[0] = sizeof *sin6;
		out->n = 1;
		return TK_OK;
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	char ports[8];
	snprintf(ports, sizeof ports, "%u", (unsigned)port);
	int rc = getaddrinfo(host, ports, &hints, &res);
	if (rc != 0)
		return tk_err_set(err, TK_E_CONNECTION, "resolve '%s': %s", host,
				  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (struct addrinfo *ai = res; ai && out->n < TKV_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof out->sa[0])
			continue;
		memcpy(&out->sa[out->n], ai->ai_addr, ai->ai_addrlen);
		out->len[out->n] = ai->ai_addrlen;
		out->n++;
	}
	freeaddrinfo(res);
	if (out->n == 0)
		return tk_err_set(err, TK_E_CONNECTION, "resolve '%s': no usable address", host);
	return TK_OK;
}
