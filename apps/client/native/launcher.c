/*
 * distcc-client native launcher.
 * (One file though long: it is built from a single source with the machine's C compiler at first use.)
 *
 * Why C: make starts one client per compiled file, and a Node process costs ~80-90 ms of CPU
 * before it does anything (C distcc: ~4 ms). This launcher only forwards argv, cwd and the
 * environment to the resident agent over its Unix socket, relays stdout/stderr/exit status, and
 * execs the compiler itself when the agent answers "run it yourself". All the logic lives in the
 * agent (Node). It is built on the user's machine by `distcc-client links DIR` with the user's own C
 * compiler; paths to node and the agent script are compiled in (-D flags).
 *
 * Launcher -> agent:  "DCL1" u32be(len) then NUL-terminated strings:
 *                     self, cwd, argc, argv..., envc, env...
 * Agent -> launcher:  frames [type u8][u32be len][body]:
 *                     'o' stdout bytes, 'e' stderr bytes, 'x' exit code (decimal text),
 *                     'r' run locally: NUL-terminated path, argc, argv..., setc, "K=V"...
 *                     'p' run the preprocessor: the same fields, then its stdout and stderr files;
 *                     the launcher answers 'c' + its exit code (decimal, 128+signal), a space and the
 *                     CPU time it took in microseconds (user + system, its children included: the
 *                     agent compares it with the wall time to see whether this machine's CPU is the
 *                     bottleneck). Forking this small process is far cheaper than spawning from the
 *                     agent's Node process.
 *                     For 'r' the socket stays open across exec (it is not close-on-exec): the agent
 *                     holds the local slot until the compiler exits and the kernel closes it.
 *
 * If the agent cannot be reached (even after starting it), or dies mid-job, the launcher compiles
 * locally: a build never fails because the agent did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NODE_PATH
#define NODE_PATH "/usr/bin/node"
#endif
#ifndef AGENT_SCRIPT
#define AGENT_SCRIPT "agent.js"
#endif
#ifndef CLI_SCRIPT
#define CLI_SCRIPT "cli.js"
#endif

#define PROTOCOL_TAG "DCL1"
#define SOCKET_NAME "agent-1.sock"
#define MAX_FRAME (64u * 1024u * 1024u)

extern char **environ;

static void die_local(char **argv, int masquerade, const char *why) __attribute__((noreturn));

/* ---- small buffer ---- */
typedef struct { char *p; size_t len, cap; } buf_t;

static void buf_add(buf_t *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { perror("distcc-client"); exit(105); }
    b->p = p; b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}
static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s) + 1); }
static void buf_num(buf_t *b, long n) { char t[32]; snprintf(t, sizeof t, "%ld", n); buf_str(b, t); }

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w; n -= (size_t)w;
  }
  return 0;
}
static int read_all(int fd, char *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) return -1;
    p += r; n -= (size_t)r;
  }
  return 0;
}

/* ---- paths (must match src/agent-paths.ts) ---- */
static char state_dir[PATH_MAX], agent_dir[PATH_MAX], sock_path[PATH_MAX];
/* Our per-user fallback directories in places others can write (/tmp), parents first: each is made
 * 0700 and used only if it is ours with that mode, or another user could have made it first. */
static char private_dirs[2][PATH_MAX];
static int n_private_dirs;
/* Why the agent was refused: a directory or socket that is not ours, or a listener of another user. */
static char refusal[2 * PATH_MAX + 256];

static uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) { h ^= (unsigned char)*s; h *= 0x100000001b3ULL; }
  return h;
}

/* $XDG_RUNTIME_DIR when absolute: per user, made 0700 by systemd-logind. */
static const char *runtime_dir(void) {
  const char *r = getenv("XDG_RUNTIME_DIR");
  return r && r[0] == '/' ? r : NULL;
}

static void compute_paths(void) {
  const char *d = getenv("DISTCC_DIR");
  const char *home = getenv("HOME");
  if (d && *d) snprintf(state_dir, sizeof state_dir, "%s", d);
  else if (home && *home) snprintf(state_dir, sizeof state_dir, "%s/.distcc", home);
  else {
    /* HOME unset (cron, daemons): a per-user name, verified before use. */
    if (runtime_dir()) snprintf(state_dir, sizeof state_dir, "%s/distcc", runtime_dir());
    else snprintf(state_dir, sizeof state_dir, "/tmp/distcc-%u", (unsigned)getuid());
  }
  if (!(d && *d) && !(home && *home)) snprintf(private_dirs[n_private_dirs++], PATH_MAX, "%s", state_dir);
  snprintf(agent_dir, sizeof agent_dir, "%s/agent", state_dir);
  snprintf(sock_path, sizeof sock_path, "%s/%s", agent_dir, SOCKET_NAME);
  if (strlen(sock_path) >= 100) {
    /* sun_path holds 108 bytes: a deep DISTCC_DIR gets a short directory of its own inside a
     * per-user one (agents of different DISTCC_DIRs never share a pid file, log or cpp outputs). */
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a64(state_dir));
    const char *r = runtime_dir();
    char *shared = private_dirs[n_private_dirs++];
    if (r && strlen(r) + strlen("/distcc-agent/") + strlen(hash) + 1 + strlen(SOCKET_NAME) < 100)
      snprintf(shared, PATH_MAX, "%s/distcc-agent", r);
    else
      snprintf(shared, PATH_MAX, "/tmp/distcc-agent-%u", (unsigned)getuid());
    snprintf(agent_dir, sizeof agent_dir, "%s/%s", shared, hash);
    snprintf(sock_path, sizeof sock_path, "%s/%s", agent_dir, SOCKET_NAME);
  }
}

/* ---- trusting the agent (must agree with src/private-dir.ts) ----
 * Another local user who creates the agent's directory first and listens there would receive our
 * argv and whole environment and could answer "run /bin/sh". So the directory must be ours with mode
 * 0700, the socket ours, and the process listening on it ours (SO_PEERCRED). */
static const char *user_label(uid_t uid) {
  static char t[300];
  struct passwd *pw = getpwuid(uid);
  if (pw && pw->pw_name) snprintf(t, sizeof t, "uid %u (%s)", (unsigned)uid, pw->pw_name);
  else snprintf(t, sizeof t, "uid %u", (unsigned)uid);
  return t;
}

/* 1 = a private directory of ours; 0 = absent; -2 = not to be trusted (refusal says why). */
static int check_private_dir(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    snprintf(refusal, sizeof refusal, "cannot check %s: %s", dir, strerror(errno));
    return -2;
  }
  uid_t me = getuid();
  if (S_ISLNK(st.st_mode)) snprintf(refusal, sizeof refusal, "%s is a symbolic link, not a directory of yours", dir);
  else if (!S_ISDIR(st.st_mode)) snprintf(refusal, sizeof refusal, "%s is not a directory", dir);
  else if (st.st_uid != me)
    snprintf(refusal, sizeof refusal, "%s belongs to %s, not to you (uid %u)", dir, user_label(st.st_uid), (unsigned)me);
  else if (st.st_mode & 077)
    snprintf(refusal, sizeof refusal,
             "%s has mode 0%03o: other users could have replaced the agent there (expected 0700: chmod 700 %s)",
             dir, (unsigned)(st.st_mode & 0777), dir);
  else return 1;
  return -2;
}

/* mkdir 0700 unless present, then verify: 0 = fine; -1 = cannot create (no agent); -2 = refused. */
static int ensure_private_dir(const char *dir) {
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) return -1;
  int r = check_private_dir(dir);
  return r == 1 ? 0 : r == 0 ? -1 : -2;
}

/* fd connected to our own agent; -1 = nobody listens there (start one); -2 = refused (see refusal). */
static int connect_agent(void) {
  int dir = check_private_dir(agent_dir);
  if (dir <= 0) return dir == 0 ? -1 : -2;
  struct stat st;
  if (lstat(sock_path, &st) < 0) return -1;
  uid_t me = getuid();
  if (!S_ISSOCK(st.st_mode)) {
    snprintf(refusal, sizeof refusal, "%s is not a socket", sock_path);
    return -2;
  }
  if (st.st_uid != me) {
    snprintf(refusal, sizeof refusal, "%s belongs to %s, not to you (uid %u)", sock_path, user_label(st.st_uid), (unsigned)me);
    return -2;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
#ifdef SO_PEERCRED
  /* The checks above can race with a rename in a directory further up; the listener's uid cannot. */
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    snprintf(refusal, sizeof refusal, "cannot tell who listens on %s: %s", sock_path, strerror(errno));
    close(fd);
    return -2;
  }
  if (cred.uid != me) {
    snprintf(refusal, sizeof refusal, "the process listening on %s runs as %s, not as you (uid %u)", sock_path,
             user_label(cred.uid), (unsigned)me);
    close(fd);
    return -2;
  }
#endif
  return fd;
}

/* Starts the agent detached and waits (no polling) until it says it listens, or gives up. */
static void start_agent(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return;
  pid_t pid = fork();
  if (pid < 0) { close(p[0]); close(p[1]); return; }
  if (pid == 0) {
    if (fork() != 0) _exit(0);         /* double fork: the agent is nobody's child */
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); }
    if (p[1] == 3) fcntl(3, F_SETFD, 0);  /* keep it across exec */
    else dup2(p[1], 3);                   /* dup2 clears close-on-exec */
    /* Nothing else of the build (make's jobserver pipe, a harness's pipes) may stay open for the
     * agent's whole life. */
    for (int fd = 4; fd < 1024; fd++) close(fd);
    setenv("DISTCC_AGENT_READY_FD", "3", 1);
    char *args[] = {(char *)NODE_PATH, (char *)AGENT_SCRIPT, NULL};
    execv(NODE_PATH, args);
    _exit(127);
  }
  close(p[1]);
  waitpid(pid, NULL, 0);
  struct pollfd pf = {p[0], POLLIN, 0};
  int waited = 0;
  while (waited < 15000) {               /* EOF or a byte: the agent listens, or another one won */
    int r = poll(&pf, 1, 500);
    if (r < 0 && errno == EINTR) continue;
    if (r != 0) break;
    waited += 500;
  }
  close(p[0]);
}

/* fd connected to our own agent (started if need be); -1 = none to reach; -2 = refused. */
static int reach_agent(void) {
  for (int i = 0; i < n_private_dirs; i++) {
    int r = ensure_private_dir(private_dirs[i]);
    if (r < 0) return r;
  }
  int fd = connect_agent();
  if (fd != -1) return fd;
  mkdir(state_dir, 0777);
  int r = ensure_private_dir(agent_dir);
  if (r < 0) return r;
  /* One launcher starts the agent; the others wait on the lock, then connect. */
  char lock_path[PATH_MAX];
  snprintf(lock_path, sizeof lock_path, "%s/start.lock", agent_dir);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock >= 0) while (flock(lock, LOCK_EX) < 0 && errno == EINTR) {}
  fd = connect_agent();
  if (fd == -1) {
    start_agent();
    fd = connect_agent();
  }
  if (lock >= 0) close(lock);
  return fd;
}

/* ---- finding the real compiler when the agent is out of reach ---- */
static char self_path[PATH_MAX];

static int is_self(const char *candidate) {
  char real[PATH_MAX];
  if (!realpath(candidate, real)) return 0;
  return strcmp(real, self_path) == 0;
}

/* Searches PATH for name, skipping ourselves and, in masquerade mode, every directory up to the
 * one we were found in (distcc's PATH cut). Returns a malloc'd path or NULL. */
static char *find_compiler(const char *name, const char *argv0, int masquerade) {
  if (strchr(name, '/')) return strdup(name);
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  char cut_dir[PATH_MAX] = "";
  if (masquerade && strchr(argv0, '/')) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", argv0);
    char *slash = strrchr(tmp, '/');
    *slash = 0;
    if (!realpath(tmp[0] ? tmp : "/", cut_dir)) cut_dir[0] = 0;
  }
  char *copy = strdup(path);
  char *result = NULL;
  int past_cut = cut_dir[0] == 0;
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char cand[PATH_MAX];
    if (!past_cut) {
      char real[PATH_MAX];
      if (realpath(*dir ? dir : ".", real) && strcmp(real, cut_dir) == 0) past_cut = 1;
      continue;
    }
    snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", name);
    if (access(cand, X_OK) == 0 && !is_self(cand)) { result = strdup(cand); break; }
  }
  free(copy);
  return result;
}

static int is_source_or_object(const char *a) {
  static const char *exts[] = {".c", ".cc", ".cpp", ".cxx", ".cp", ".c++", ".C", ".i", ".ii",
                               ".m", ".mm", ".mi", ".mii", ".M", ".o", ".s", ".S", NULL};
  const char *dot = strrchr(a, '.');
  if (!dot) return 0;
  for (int i = 0; exts[i]; i++) if (strcmp(dot, exts[i]) == 0) return 1;
  return 0;
}

static void set_safeguard(void) {
  const char *s = getenv("_DISTCC_SAFEGUARD");
  int level = s ? atoi(s) : 0;
  char t[16];
  snprintf(t, sizeof t, "%d", level + 1);
  setenv("_DISTCC_SAFEGUARD", t, 1);
}

/* Local compile without the agent: argv as the user gave it (after our own name). */
static void die_local(char **argv, int masquerade, const char *why) {
  if (why) fprintf(stderr, "distcc-client: %s (agent socket %s); compiling locally\n", why, sock_path);
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  char **cmd;
  if (masquerade) cmd = argv;
  else if (argv[1] && (argv[1][0] == '-' || is_source_or_object(argv[1]))) {
    /* implicit form: distcc-client -c x.c means cc -c x.c */
    int n = 0;
    while (argv[n]) n++;
    cmd = calloc((size_t)n + 1, sizeof *cmd);
    cmd[0] = "cc";
    for (int i = 1; i < n; i++) cmd[i] = argv[i];
  } else cmd = argv + 1;
  if (!cmd[0]) { fprintf(stderr, "distcc-client: no compiler given (try --help)\n"); exit(100); }
  const char *name = masquerade ? base : cmd[0];
  char *real = find_compiler(name, argv[0], masquerade);
  if (!real) { fprintf(stderr, "distcc-client: %s: compiler not found on PATH\n", name); exit(110); }
  set_safeguard();
  signal(SIGPIPE, SIG_DFL);
  execv(real, cmd);
  fprintf(stderr, "distcc-client: failed to run %s: %s\n", real, strerror(errno));
  exit(110);
}

/* 'p': run the preprocessor with stdout/stderr into the agent's files, answer its status. */
static int run_preprocessor(const char *body, uint32_t len, int sock) {
  const char *p = body, *end = body + len;
#define NEXT() ({ const char *s_ = p; const char *z_ = memchr(p, 0, (size_t)(end - p)); \
                  if (!z_) { fprintf(stderr, "distcc-client: bad answer from agent\n"); exit(107); } \
                  p = z_ + 1; s_; })
  const char *path = NEXT();
  int argc = atoi(NEXT());
  char **av = calloc((size_t)argc + 1, sizeof *av);
  for (int i = 0; i < argc; i++) av[i] = (char *)NEXT();
  int setc = atoi(NEXT());
  const char **sets = calloc((size_t)setc + 1, sizeof *sets);
  for (int i = 0; i < setc; i++) sets[i] = NEXT();
  const char *out = NEXT();
  const char *err = NEXT();
#undef NEXT
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a killed launcher takes its preprocessor with it */
    if (getppid() != parent) _exit(1);  /* ... even if it died before prctl */
    for (int i = 0; i < setc; i++) {
      char *kv = strdup(sets[i]);
      char *eq = strchr(kv, '=');
      if (eq) { *eq = 0; setenv(kv, eq + 1, 1); }
    }
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0) _exit(107);
    dup2(in, 0); dup2(o, 1); dup2(e, 2);
    signal(SIGPIPE, SIG_DFL);
    execv(path, av);
    dprintf(2, "distcc-client: failed to run %s: %s\n", path, strerror(errno));
    _exit(110);
  }
  int code = 105;
  long long cpu_us = 0;
  if (pid > 0) {
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    cpu_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
             (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
  }
  free(av);
  free(sets);
  char t[48];
  int n = snprintf(t, sizeof t, "%d %lld", code, cpu_us);
  unsigned char h[5] = {'c', 0, 0, 0, (unsigned char)n};
  if (write_all(sock, (const char *)h, 5) < 0 || write_all(sock, t, (size_t)n) < 0) return -1;
  return 0;
}

static int is_client_command(const char *a) {
  static const char *cmds[] = {"--help", "--version", "--show-hosts", "-j", "--scan-includes",
                               "links", "launcher", "agent", NULL};
  for (int i = 0; cmds[i]; i++) if (strcmp(a, cmds[i]) == 0) return 1;
  return 0;
}

static void run_locally_as_told(const char *body, uint32_t len, int sock) {
  /* body: path, argc, argv..., setc, "K=V"... (each NUL-terminated) */
  const char *p = body, *end = body + len;
#define NEXT() ({ const char *s_ = p; const char *z_ = memchr(p, 0, (size_t)(end - p)); \
                  if (!z_) { fprintf(stderr, "distcc-client: bad answer from agent\n"); exit(107); } \
                  p = z_ + 1; s_; })
  const char *path = NEXT();
  int argc = atoi(NEXT());
  char **av = calloc((size_t)argc + 1, sizeof *av);
  for (int i = 0; i < argc; i++) av[i] = (char *)NEXT();
  int setc = atoi(NEXT());
  for (int i = 0; i < setc; i++) {
    char *kv = strdup(NEXT());
    char *eq = strchr(kv, '=');
    if (!eq) continue;
    *eq = 0;
    setenv(kv, eq + 1, 1);
  }
#undef NEXT
  /* Keep the socket open across exec: the agent frees our local slot when the compiler exits. */
  int flags = fcntl(sock, F_GETFD);
  if (flags >= 0) fcntl(sock, F_SETFD, flags & ~FD_CLOEXEC);
  signal(SIGPIPE, SIG_DFL);
  execv(path, av);
  fprintf(stderr, "distcc-client: failed to run %s: %s\n", path, strerror(errno));
  exit(110);
}

int main(int argc, char **argv) {
  (void)argc;
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  int masquerade = strstr(base, "distcc") == NULL;
  if (!realpath("/proc/self/exe", self_path)) self_path[0] = 0;

  if (!masquerade && argv[1] && is_client_command(argv[1])) {
    /* Client commands are rare: they go to the Node CLI. */
    char **av = calloc((size_t)argc + 2, sizeof *av);
    av[0] = (char *)NODE_PATH;
    av[1] = (char *)CLI_SCRIPT;
    for (int i = 1; i < argc; i++) av[i + 1] = argv[i];
    execv(NODE_PATH, av);
    perror("distcc-client: cannot run node");
    return 100;
  }

  signal(SIGPIPE, SIG_IGN);
  compute_paths();
  int sock = reach_agent();
  if (sock == -2) {
    fprintf(stderr, "distcc-client: refusing the agent at %s: %s; compiling locally\n", sock_path, refusal);
    die_local(argv, masquerade, NULL);
  }
  if (sock < 0) die_local(argv, masquerade, "cannot reach or start the agent");

  buf_t b = {0};
  buf_add(&b, PROTOCOL_TAG "\0\0\0\0", 8);
  buf_str(&b, self_path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) { const char *pwd = getenv("PWD"); snprintf(cwd, sizeof cwd, "%s", pwd ? pwd : "/"); }
  buf_str(&b, cwd);
  buf_num(&b, argc);
  for (int i = 0; i < argc; i++) buf_str(&b, argv[i]);
  long envc = 0;
  for (char **e = environ; *e; e++) envc++;
  buf_num(&b, envc);
  for (char **e = environ; *e; e++) buf_str(&b, *e);
  uint32_t payload = (uint32_t)(b.len - 8);
  b.p[4] = (char)(payload >> 24); b.p[5] = (char)(payload >> 16);
  b.p[6] = (char)(payload >> 8); b.p[7] = (char)payload;
  if (write_all(sock, b.p, b.len) < 0) die_local(argv, masquerade, "the agent closed the connection");
  free(b.p);

  buf_t body = {0};
  for (;;) {
    unsigned char h[5];
    if (read_all(sock, (char *)h, 5) < 0) die_local(argv, masquerade, "the agent went away during the job");
    uint32_t len = ((uint32_t)h[1] << 24) | ((uint32_t)h[2] << 16) | ((uint32_t)h[3] << 8) | h[4];
    if (len > MAX_FRAME) die_local(argv, masquerade, "bad answer from the agent");
    body.len = 0;
    if (len + 1 > body.cap) { free(body.p); body.p = malloc(len + 1); body.cap = len + 1; if (!body.p) exit(105); }
    if (len && read_all(sock, body.p, len) < 0) die_local(argv, masquerade, "the agent went away during the job");
    body.len = len;
    switch (h[0]) {
      case 'o': write_all(1, body.p, len); break;
      case 'e': write_all(2, body.p, len); break;
      case 'x': body.p[len] = 0; return atoi(body.p);
      case 'r': body.p[len] = 0; run_locally_as_told(body.p, len, sock); break;
      case 'p':
        body.p[len] = 0;
        if (run_preprocessor(body.p, len, sock) < 0) die_local(argv, masquerade, "the agent went away during the job");
        break;
      default: die_local(argv, masquerade, "bad answer from the agent");
    }
  }
}
