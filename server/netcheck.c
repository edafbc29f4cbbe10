/* The pools against the host's networks, declared in netcheck.h. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "netcheck.h"

/* Report pool p if it overlaps the IPv4 network of interface ifa. */
static int
netcheck_one(const struct config *cfg, const struct config_pool *p,
    const struct ifaddrs *ifa, authcheck_report_fn *report, void *arg)
{
	const struct sockaddr_in *addr = (const void *)ifa->ifa_addr;
	const struct sockaddr_in *mask = (const void *)ifa->ifa_netmask;
	uint32_t m = ntohl(mask->sin_addr.s_addr);
	uint32_t first = ntohl(addr->sin_addr.s_addr) & m, last = first | ~m;
	char text[PATH_MAX + 512], net[INET_ADDRSTRLEN];

	if (p->last < first || p->first > last)
		return (0);

	inet_ntop(AF_INET, &(struct in_addr){ htonl(first) }, net,
	    sizeof(net));
	snprintf(text, sizeof(text), "%s:%d: pool \"%s\" overlaps %s/%d, "
	    "the network of interface %s: its route into %s would take "
	    "that network's traffic, so clients there could not reach the "
	    "headend; choose a range that no interface uses", cfg->path,
	    p->line, p->name, net, __builtin_popcount(m), ifa->ifa_name,
	    cfg->tun.name);
	report(arg, false, text);
	return (1);
}

/*
 * Return whether ifa is this configuration's tun device, also under the
 * name it had before a reload renamed it. Its only address is the tun
 * address, as a /32.
 */
static bool
netcheck_own_tun(const struct config *cfg, const struct ifaddrs *ifa)
{
	const struct sockaddr_in *addr = (const void *)ifa->ifa_addr;
	const struct sockaddr_in *mask = (const void *)ifa->ifa_netmask;

	if (strcmp(ifa->ifa_name, cfg->tun.name) == 0)
		return (true);

	return (addr->sin_addr.s_addr == cfg->tun.address.s_addr &&
	    mask->sin_addr.s_addr == 0xffffffffu);
}

/* Return whether the sysctl file at path starts with '0'. */
static bool
netcheck_sysctl_off(const char *path)
{
	FILE *fp = fopen(path, "re");
	int c = fp != NULL ? fgetc(fp) : EOF;

	if (fp != NULL)
		fclose(fp);
	return (c == '0');
}

/*
 * Linux forwards by the setting of the interface a packet came in on.
 * The tun device takes the default one when headend creates it, so a
 * host that forwards only on chosen interfaces still works if that
 * default is on.
 */
bool
netcheck_forwarding(authcheck_report_fn *report, void *arg)
{
	if (!netcheck_sysctl_off("/proc/sys/net/ipv4/ip_forward") ||
	    !netcheck_sysctl_off("/proc/sys/net/ipv4/conf/default/forwarding"))
		return (false);
	report(arg, false, "IPv4 forwarding is off (net.ipv4.ip_forward = "
	    "0), so the clients' packets reach no host beyond the headend: "
	    "run \"sysctl -w net.ipv4.ip_forward=1\" and keep it in a file "
	    "in /etc/sysctl.d");
	return (true);
}

int
netcheck_pools(const struct config *cfg, authcheck_report_fn *report,
    void *arg)
{
	struct ifaddrs *all, *ifa;
	int found = 0;
	size_t i;

	if (getifaddrs(&all) != 0)
		return (0);
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || ifa->ifa_netmask == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET ||
		    (ifa->ifa_flags & IFF_LOOPBACK) != 0 ||
		    netcheck_own_tun(cfg, ifa))
			continue;
		for (i = 0; i < cfg->npools; i++)
			if (!cfg->pools[i].retired)
				found += netcheck_one(cfg, &cfg->pools[i],
				    ifa, report, arg);
	}
	freeifaddrs(all);
	return (found);
}
