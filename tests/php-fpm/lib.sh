# Shell helpers for the php-fpm tests (tests/php-fpm/run.sh) and bench (tests/bench/bench_fpm.sh):
# build the PHP extension from the tree, start nginx + php-fpm (Debian's nginx-light and
# php8.2-fpm) on free loopback ports with configuration written into a temporary folder,
# and stop them again. Source it; it needs $top (the source tree).
#
#   fpm_build_ext                      -> $ECAI_PHP_EXT (modules/ecai.so, built if stale)
#   fpm_start DOCROOT WORKERS [LINE..] -> $FPM_URL, $FPM_PID, $NGINX_PID, $FPM_TMP
#                                         (LINEs are extra pool settings, e.g. env[X] = y)
#   fpm_workers                        -> the worker pids, one a line
#   fpm_stop                           (callers trap it on EXIT)

BUILD=${BUILD:-$top/build}
FPM_BIN=${FPM_BIN:-$(command -v php-fpm8.2 || command -v /usr/sbin/php-fpm8.2 || command -v php-fpm || true)}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || command -v /usr/sbin/nginx || true)}
FPM_PID= NGINX_PID= FPM_TMP=
FPM_PHP_FLAGS=${FPM_PHP_FLAGS:-} # extra php -d flags for debugging, e.g. "-d opcache.enable=0"

fpm_have_servers() { [ -n "$FPM_BIN" ] && [ -x "$FPM_BIN" ] && [ -n "$NGINX_BIN" ] && [ -x "$NGINX_BIN" ]; }

# Builds the extension into $BUILD/php/ext (as scripts/check.sh php does) unless it is newer
# than every file of bindings/php and lib/libecai.so.
fpm_build_ext() {
  local ext=$BUILD/php/ext
  ECAI_PHP_EXT=$ext/modules/ecai.so
  if [ -f "$ECAI_PHP_EXT" ] && [ -z "$(find "$top/bindings/php" "$top/lib/libecai.so" -newer "$ECAI_PHP_EXT" 2>/dev/null | head -n1)" ]; then
    return 0
  fi
  rm -rf "$ext" && mkdir -p "$BUILD/php" && cp -r "$top/bindings/php" "$ext" &&
    (cd "$ext" && phpize && ./configure --with-ecai="$top" && make) >"$BUILD/php/ext-build.log" 2>&1 ||
    { echo "fpm: building the PHP extension failed (see $BUILD/php/ext-build.log)" >&2; return 1; }
}

fpm_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fpm_start() {
  local docroot=$1 workers=$2
  shift 2
  FPM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecai-fpm.XXXXXX")
  local fport hport root_user= root_flag= nginx_user= line
  fport=$(fpm_free_port) && hport=$(fpm_free_port) || return 1
  if [ "$(id -u)" -eq 0 ]; then # root: workers stay root (nothing here is reachable from outside)
    root_flag=-R root_user="user = root"$'\n'"group = root" nginx_user="user root;"
  fi
  {
    cat <<EOF
[global]
pid = $FPM_TMP/php-fpm.pid
error_log = $FPM_TMP/php-fpm.log
daemonize = no

[ecai]
$root_user
listen = 127.0.0.1:$fport
pm = static
pm.max_children = $workers
pm.max_requests = 1000000
catch_workers_output = yes
chdir = $FPM_TMP
php_admin_value[error_log] = $FPM_TMP/php-errors.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
EOF
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$FPM_TMP/php-fpm.conf"
  mkdir -p "$FPM_TMP/nginx"
  cat >"$FPM_TMP/nginx.conf" <<EOF
$nginx_user
worker_processes 1;
daemon off;
pid $FPM_TMP/nginx.pid;
error_log $FPM_TMP/nginx-error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $FPM_TMP/nginx/body;
  fastcgi_temp_path $FPM_TMP/nginx/fastcgi;
  proxy_temp_path $FPM_TMP/nginx/proxy;
  uwsgi_temp_path $FPM_TMP/nginx/uwsgi;
  scgi_temp_path $FPM_TMP/nginx/scgi;
  keepalive_requests 1000000;
  upstream fpm { server 127.0.0.1:$fport; keepalive 16; }
  server {
    listen 127.0.0.1:$hport;
    root $docroot;
    location ~ \\.php\$ {
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param REQUEST_URI \$request_uri;
      fastcgi_param DOCUMENT_ROOT \$document_root;
      fastcgi_param SERVER_PROTOCOL \$server_protocol;
      fastcgi_param REMOTE_ADDR \$remote_addr;
      fastcgi_keep_conn on;
      fastcgi_pass fpm;
    }
  }
}
EOF
  # opcache.protect_memory: opcache's shared memory (literal arrays and strings of every
  # script, shared by all workers) is read-only outside compilation, so an extension that
  # writes into it (a reference count of a shared array) crashes at the write, at once and
  # in the worker that did it, instead of corrupting every worker later and at random.
  # The extension from the build tree; libecai.so found through LD_LIBRARY_PATH (the
  # master loads it, workers are forked from the master)
  LD_LIBRARY_PATH=$top/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} OMP_WAIT_POLICY=PASSIVE \
    "$FPM_BIN" $root_flag -F -y "$FPM_TMP/php-fpm.conf" -d "extension=$ECAI_PHP_EXT" -d opcache.protect_memory=1 $FPM_PHP_FLAGS \
    >"$FPM_TMP/php-fpm.out" 2>&1 &
  FPM_PID=$!
  "$NGINX_BIN" -p "$FPM_TMP" -e "$FPM_TMP/nginx-error.log" -c "$FPM_TMP/nginx.conf" >"$FPM_TMP/nginx.out" 2>&1 &
  NGINX_PID=$!
  FPM_URL=http://127.0.0.1:$hport
  local i
  for i in $(seq 1 100); do # up to 10 s
    if [ "$(fpm_workers | wc -l)" -ge "$workers" ] &&
       curl -s -o /dev/null "$FPM_URL/" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$FPM_PID" 2>/dev/null || ! kill -0 "$NGINX_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "fpm: servers did not start:" >&2
  tail -n 5 "$FPM_TMP/php-fpm.log" "$FPM_TMP/php-fpm.out" "$FPM_TMP/nginx-error.log" "$FPM_TMP/nginx.out" 2>/dev/null | sed 's/^/  | /' >&2
  return 1
}

fpm_workers() { [ -n "$FPM_PID" ] && ps -o pid= --ppid "$FPM_PID" 2>/dev/null | tr -d ' '; }

fpm_stop() {
  local p
  for p in $NGINX_PID $FPM_PID; do
    kill "$p" 2>/dev/null
  done
  for p in $NGINX_PID $FPM_PID; do
    wait "$p" 2>/dev/null
  done
  NGINX_PID= FPM_PID=
  [ -n "$FPM_TMP" ] && [ -z "${FPM_KEEP:-}" ] && rm -rf "$FPM_TMP"
  FPM_TMP=
}
