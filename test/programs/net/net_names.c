/*
 * Names over sockets: getifaddrs and getaddrinfo(AI_ADDRCONFIG) (glibc asks the kernel over a
 * netlink route socket), getnameinfo, a user looked up by name (glibc's nscd probe connects to
 * a UNIX socket that is not there: it must fail quietly), and a netlink socket of its own: its
 * port id, and a dump of the links.
 */
#include "../t.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>

static void interfaces(void)
{
    struct ifaddrs *list;
    if (T("getifaddrs", getifaddrs(&list)))
        return;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        char addr[INET6_ADDRSTRLEN] = "-";
        int family = i->ifa_addr ? i->ifa_addr->sa_family : -1;
        if (family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof(addr));
        else if (family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, addr, sizeof(addr));
        say("  %s family %d %s up %d", i->ifa_name, family, family == AF_PACKET ? "(link)" : addr, !!(i->ifa_flags & IFF_UP));
    }
    freeifaddrs(list);
}

static void lookup(const char *host, int flags)
{
    struct addrinfo hints = {.ai_flags = flags, .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo(host, "80", &hints, &res);
    say("getaddrinfo %s flags %d = %s", host, flags, r ? gai_strerror(r) : "ok");
    for (struct addrinfo *a = r ? NULL : res; a; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN], serv[16];
        getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof(text), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
        say("  family %d %s port %s", a->ai_family, text, serv);
    }
    if (!r)
        freeaddrinfo(res);
}

/* A netlink route socket of its own: bound with port id 0, the port it got is not its host pid. */
static void netlink(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl me = {.nl_family = AF_NETLINK};
    T("netlink bind", bind(fd, (struct sockaddr *)&me, sizeof(me)));
    socklen_t len = sizeof(me);
    T("netlink getsockname", getsockname(fd, (struct sockaddr *)&me, &len));
    say("  port id set %d, family %d len %u", me.nl_pid != 0, me.nl_family, len);
    struct {
        struct nlmsghdr h;
        struct ifinfomsg i;
    } req = {{sizeof(req), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {.ifi_family = AF_UNSPEC}};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    T("netlink sendto the kernel", sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == sizeof(req));
    int links = 0, done = 0;
    static char buf[65536];
    while (!done) {
        struct sockaddr_nl from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE)
                done = 1;
            else if (h->nlmsg_type == RTM_NEWLINK)
                links++;
            /* the kernel answers to the port id the socket has */
            if (h->nlmsg_pid != me.nl_pid)
                say("  a reply to another port id");
        }
        if (from.nl_pid != 0)
            say("  a reply not from the kernel");
    }
    say("  links dumped: %d", links);
    close(fd);
}

int main(void)
{
    t_init();
    interfaces();
    lookup("localhost", AI_ADDRCONFIG);
    lookup("127.0.0.1", AI_NUMERICHOST);
    lookup("::1", AI_NUMERICHOST | AI_ADDRCONFIG);
    struct passwd *pw = getpwnam("root");
    say("getpwnam root: uid %d, home %s", pw ? (int)pw->pw_uid : -1, pw ? pw->pw_dir : "-");
    pw = getpwnam("no-such-user-gts");
    say("getpwnam of nobody known: %s", pw ? "found" : "not found");
    netlink();
    return 0;
}
