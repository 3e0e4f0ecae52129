#!/bin/sh
# nginx with a console, as the first process of the instance (manifests/nginx.manifest.toml):
# it starts nginx in the foreground, then reads commands from its standard input --
#   reload    nginx -s reload (new workers, the old ones finish and exit)
#   workers   the pids of the worker processes, then "end"
#   log       the access log, then "end"
#   quit      nginx -s quit (graceful), and the exit status of nginx; also at the end of input
# and exits with the status of nginx.
conf="-p /srv/nginx/ -c nginx.conf"
nginx $conf &
master=$!

workers() {
    for p in /proc/[0-9]*; do
        case "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" in
        "nginx: worker process"*) echo "${p#/proc/}" ;;
        esac
    done
    echo end
}

quit() {
    nginx $conf -s quit
    wait $master
    status=$?
    echo "nginx exited $status"
    exit $status
}

while read -r cmd; do
    case "$cmd" in
    reload) nginx $conf -s reload ;;
    workers) workers ;;
    log) cat /var/log/nginx/access.log; echo end ;;
    quit) quit ;;
    *) echo "commands: reload, workers, log, quit" ;;
    esac
done
quit
