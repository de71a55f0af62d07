//! The few socket calls the sender needs, all non-blocking: connect, write
//! without SIGPIPE, notice a peer that hung up, and wait with a timeout.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Longest socket path the kernel accepts (`sun_path` less its NUL).
pub(crate) const MAX_SOCKET_PATH_BYTES: usize = 107;

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Starts a non-blocking connect. A listener whose backlog is full gives
/// `WouldBlock`, never a blocked thread.
pub(crate) fn connect(path: &Path) -> io::Result<OwnedFd> {
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: plain libc calls on a zeroed sockaddr_un whose path fits (checked by the builder).
    unsafe {
        let fd = OwnedFd::from_raw_fd(check(libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0))?);
        let raw = fd.as_raw_fd();
        check(libc::fcntl(raw, libc::F_SETFD, libc::FD_CLOEXEC))?;
        let flags = check(libc::fcntl(raw, libc::F_GETFL))?;
        check(libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
        #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
        {
            let one: libc::c_int = 1;
            check(libc::setsockopt(
                raw,
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                &one as *const _ as *const libc::c_void,
                std::mem::size_of_val(&one) as libc::socklen_t,
            ))?;
        }
        let mut addr: libc::sockaddr_un = std::mem::zeroed();
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        if bytes.len() > MAX_SOCKET_PATH_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "socket path too long"));
        }
        for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
        let ret = libc::connect(raw, &addr as *const _ as *const libc::sockaddr, len as libc::socklen_t);
        if ret == 0 {
            return Ok(fd);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINPROGRESS) {
            // Unix sockets connect at once or not at all on Linux; other
            // systems may finish later, which the first write will reveal.
            return Ok(fd);
        }
        if err.raw_os_error() == Some(libc::EAGAIN) {
            return Err(io::Error::new(io::ErrorKind::WouldBlock, "monitor backlog is full"));
        }
        Err(err)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: libc::c_int = libc::MSG_DONTWAIT;

/// Writes what the socket takes now; `Ok(0)` means it is full.
pub(crate) fn send(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: `bytes` is a valid buffer for its length.
    let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), SEND_FLAGS) };
    if n >= 0 {
        return Ok(n as usize);
    }
    let err = io::Error::last_os_error();
    match err.kind() {
        io::ErrorKind::WouldBlock => Ok(0),
        io::ErrorKind::Interrupted => Ok(0),
        _ => Err(err),
    }
}

/// What one non-blocking read from the monitor gave.
pub(crate) enum Received {
    Bytes(usize),
    /// The peer closed its end (or the connection failed).
    Closed,
    /// Nothing to read now.
    Nothing,
}

/// Reads what the monitor wrote (acks, protocol 1.1), without waiting.
pub(crate) fn receive(fd: RawFd, into: &mut [u8]) -> Received {
    // SAFETY: `into` is a valid buffer for its length.
    let n = unsafe { libc::recv(fd, into.as_mut_ptr().cast(), into.len(), libc::MSG_DONTWAIT) };
    match n {
        0 => Received::Closed,
        n if n > 0 => Received::Bytes(n as usize),
        _ => match io::Error::last_os_error().kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Received::Nothing,
            _ => Received::Closed,
        },
    }
}

/// What `wait` saw.
pub(crate) struct Ready {
    pub(crate) woken: bool,
    pub(crate) conn: bool,
}

/// Waits until the wake pipe is readable, or `conn` is ready for `conn_events`
/// (or hung up), or `timeout` passes.
pub(crate) fn wait(wake: RawFd, conn: Option<(RawFd, libc::c_short)>, timeout: Option<Duration>) -> Ready {
    let mut fds =
        [libc::pollfd { fd: wake, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: -1, events: 0, revents: 0 }];
    if let Some((fd, events)) = conn {
        fds[1] = libc::pollfd { fd, events, revents: 0 };
    }
    let ms = match timeout {
        None => -1,
        Some(t) => t.as_millis().min(i32::MAX as u128) as libc::c_int + i32::from(t.subsec_nanos() % 1_000_000 != 0),
    };
    // SAFETY: `fds` is a valid array of two pollfd.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    if n <= 0 {
        return Ready { woken: false, conn: false };
    }
    Ready { woken: fds[0].revents != 0, conn: fds[1].revents != 0 }
}

/// A self-pipe that wakes the sender from `poll`.
pub(crate) struct Waker {
    pub(crate) read: UnixStream,
    pub(crate) write: UnixStream,
}

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(Waker { read, write })
    }

    /// Never blocks: a full pipe already means "wake up".
    pub(crate) fn wake(&self) {
        let _ = send(self.write.as_raw_fd(), &[1]);
    }

    pub(crate) fn drain(&self) {
        let mut scratch = [0u8; 64];
        // SAFETY: `scratch` is a valid buffer for its length.
        while unsafe {
            libc::recv(self.read.as_raw_fd(), scratch.as_mut_ptr().cast(), scratch.len(), libc::MSG_DONTWAIT)
        } > 0
        {}
    }
}
