/*
 * The server's spawn helper (built at run time with the host's C compiler by
 * src/native-launcher.ts, shipped in the tarball as native/spawn-helper.c). It forks from a ~1 MB
 * process instead of the whole Node heap.
 *
 * Requests on stdin: 9 u32 in host byte order: id, payload length, argc, envc, address-space limit
 * in MiB (0 = none), CPU-time limit in seconds (0 = none), file-size limit in MiB (0 = none),
 * RLIMIT_NPROC (0 = none), number of cgroup files; then the payload: NUL-terminated file, cwd,
 * stdout file, stderr file, the cgroup files (each a cgroup.procs the compiler joins before exec,
 * so everything it starts is counted in the job's cgroup), argv[argc], env[envc].
 * Replies on stdout, 16 bytes each: u32 kind, u32 id, i32 a, i32 b.
 *   kind 1 = started (a = pid), 2 = failed (a = errno), 3 = ended (a = wait status).
 * Each compiler: own session (setsid: kill(-pid) reaches cc1 and as), default signal dispositions
 * and an empty signal mask, stdin /dev/null, stdout/stderr into the two files (created 0600),
 * its job's cgroups, chdir, RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_NPROC (setrlimit, so a compiler cannot take all memory,
 * run forever, or fill the job folder's tmpfs), PR_SET_PDEATHSIG (it dies with this helper), execve (no shell, no PATH search). exec
 * failures come back over a CLOEXEC pipe.
 * Nothing may outlive the server: the helper gets SIGTERM when the server dies (its own
 * PR_SET_PDEATHSIG), and on that or on EOF on stdin (the server went away) it kills the process
 * group of every running compile before it exits. (The compilers' own PR_SET_PDEATHSIG is not
 * enough: bwrap changes its credentials, which clears it; killing bwrap takes its sandbox along,
 * --die-with-parent and the PID namespace. Tested in test/leftovers.test.ts.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PAYLOAD (256u << 20)

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r; n -= (size_t)r;
  }
  return 0;
}

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) _exit(0);
    p += r; n -= (size_t)r;
  }
}

static void reply(uint32_t kind, uint32_t id, int32_t a, int32_t b) {
  uint32_t m[4] = { kind, id, (uint32_t)a, (uint32_t)b };
  write_all(1, m, sizeof m);
}

struct job { pid_t pid; uint32_t id; };
static struct job *jobs;
static size_t njobs, capjobs;

static void child_fail(int fd) {
  int e = errno;
  write_all(fd, &e, sizeof e);
  _exit(127);
}

/* Joins a cgroup: "0" written to its cgroup.procs moves the writing process. */
static int join_cgroup(const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = write(fd, "0", 1);
  int e = errno;
  close(fd);
  errno = e;
  return r == 1 ? 0 : -1;
}

static void start(uint32_t id, char *payload, uint32_t len, const uint32_t *h) {
  uint32_t argc = h[2], envc = h[3], as_mib = h[4], cpu_s = h[5], fsize_mib = h[6], nproc = h[7], ncg = h[8];
  if (argc > MAX_PAYLOAD || envc > MAX_PAYLOAD || ncg > 8) { reply(2, id, EINVAL, 0); return; }
  uint32_t fixed = 4 + ncg, need = fixed + argc + envc, count = 0;
  char **strs = calloc(need + 2, sizeof(char *));
  if (!strs) { reply(2, id, ENOMEM, 0); return; }
  for (uint32_t i = 0; i < len && count < need; ) {
    strs[count++] = payload + i;
    char *z = memchr(payload + i, 0, len - i);
    if (!z) break;
    i = (uint32_t)(z - payload) + 1;
  }
  if (count != need || payload[len - 1] != 0) { free(strs); reply(2, id, EINVAL, 0); return; }
  char **argv = calloc(argc + 1, sizeof(char *));
  char **envp = calloc(envc + 1, sizeof(char *));
  if (!argv || !envp) { free(strs); free(argv); free(envp); reply(2, id, ENOMEM, 0); return; }
  for (uint32_t i = 0; i < argc; i++) argv[i] = strs[fixed + i];
  for (uint32_t i = 0; i < envc; i++) envp[i] = strs[fixed + argc + i];
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) { int e = errno; free(strs); free(argv); free(envp); reply(2, id, e, 0); return; }
  // vfork: the child borrows this process's memory until execve, so no page tables are copied
  // and nothing is copied on write (the helper is small, but it is still the bulk of its CPU per
  // job). The child only makes syscalls (its own signal dispositions: no CLONE_SIGHAND), and this
  // process waits until it has exec'ed or failed, which the CLOEXEC pipe then tells.
  pid_t pid = vfork();
  if (pid == 0) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    if (setsid() < 0) child_fail(pfd[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(pfd[1]);
    // Before anything else runs: every process of the job is then counted in its cgroup.
    for (uint32_t i = 0; i < ncg; i++) if (join_cgroup(strs[4 + i]) != 0) child_fail(pfd[1]);
    if (nproc) {
      // Counted per user (all processes of the server's user): the fallback when no cgroup can
      // be made; the server sizes it for all its jobs together.
      struct rlimit rl = { nproc, nproc };
      if (setrlimit(RLIMIT_NPROC, &rl) != 0) child_fail(pfd[1]);
    }
    if (as_mib) {
      struct rlimit rl = { (rlim_t)as_mib << 20, (rlim_t)as_mib << 20 };
      if (setrlimit(RLIMIT_AS, &rl) != 0) child_fail(pfd[1]);
    }
    if (cpu_s) {
      // SIGXCPU at the soft limit (gcc reports it as "CPU time limit exceeded"), SIGKILL 1 s later.
      struct rlimit rl = { cpu_s, (rlim_t)cpu_s + 1 };
      if (setrlimit(RLIMIT_CPU, &rl) != 0) child_fail(pfd[1]);
    }
    if (fsize_mib) {
      // SIGXFSZ for a write past it ("File size limit exceeded"): an object of gigabytes from a
      // 60-byte .fill would otherwise fill the tmpfs and the server's memory.
      struct rlimit rl = { (rlim_t)fsize_mib << 20, (rlim_t)fsize_mib << 20 };
      if (setrlimit(RLIMIT_FSIZE, &rl) != 0) child_fail(pfd[1]);
    }
    int in = open("/dev/null", O_RDONLY);
    if (in < 0) child_fail(pfd[1]);
    int out = open(strs[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) child_fail(pfd[1]);
    int err = open(strs[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err < 0) child_fail(pfd[1]);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(pfd[1]);
    if (chdir(strs[1]) != 0) child_fail(pfd[1]);
    execve(strs[0], argv, envp);
    child_fail(pfd[1]);
  }
  int e = errno;
  close(pfd[1]);
  free(strs); free(argv); free(envp);
  if (pid < 0) { close(pfd[0]); reply(2, id, e, 0); return; }
  int child_errno;
  ssize_t r;
  do r = read(pfd[0], &child_errno, sizeof child_errno); while (r < 0 && errno == EINTR);
  close(pfd[0]);
  if (r == (ssize_t)sizeof child_errno) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    reply(2, id, child_errno, 0);
    return;
  }
  if (njobs == capjobs) {
    size_t cap = capjobs ? capjobs * 2 : 16;
    struct job *j = realloc(jobs, cap * sizeof *j);
    if (!j) abort();
    jobs = j; capjobs = cap;
  }
  jobs[njobs].pid = pid; jobs[njobs].id = id; njobs++;
  reply(1, id, pid, 0);
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (size_t i = 0; i < njobs; i++) {
      if (jobs[i].pid != pid) continue;
      uint32_t id = jobs[i].id;
      jobs[i] = jobs[--njobs];
      reply(3, id, st, 0);
      break;
    }
  }
}

static int kill_all(int code) {
  for (size_t i = 0; i < njobs; i++) kill(-jobs[i].pid, SIGKILL);
  return code;
}

int main(void) {
  pid_t server = getppid();
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigaddset(&chld, SIGTERM);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 1;
  // SIGTERM (read from the signalfd) when the server dies, even by SIGKILL; if it died before
  // this line, the parent is already someone else.
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != server) return 0;
  for (;;) {
    struct pollfd p[2] = { { 0, POLLIN, 0 }, { sfd, POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return 1; }
    if (p[1].revents) {
      struct signalfd_siginfo si;
      int term = 0;
      while (read(sfd, &si, sizeof si) > 0) if (si.ssi_signo == SIGTERM) term = 1;
      if (term) return kill_all(0);
      reap();
    }
    if (p[0].revents) {
      uint32_t h[9];
      if (read_all(0, h, sizeof h) != 0) return kill_all(0);
      if (h[1] == 0 || h[1] > MAX_PAYLOAD) return kill_all(2);
      char *payload = malloc(h[1]);
      if (!payload) return kill_all(3);
      if (read_all(0, payload, h[1]) != 0) return kill_all(0);
      start(h[0], payload, h[1], h);
      free(payload);
      reap();
    }
  }
}
