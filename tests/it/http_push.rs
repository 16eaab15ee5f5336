//! Pushes over smart HTTP: `git http-backend` behind lighttpd with Basic authentication, the
//! credentials coming from a git credential helper, as CI runners on real forges do it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::deploy::path;
use crate::fake_forge::FakeForge;
use crate::harness::World;
use crate::promote::point_at;

const USER: &str = "ci-bot";
pub const PASSWORD: &str = "s3cret-http-PASSWORD";

/// lighttpd serving every repository under `root/repos` at `/git/`, for one user; stopped when
/// dropped.
pub struct Lighttpd {
    child: Child,
    port: u16,
}

impl Lighttpd {
    /// Starts lighttpd on a free loopback port. A port found free can be taken by another test
    /// before lighttpd binds it; lighttpd then exits at once, and is started again on another.
    pub fn start(world: &World, root: &Path) -> Lighttpd {
        Lighttpd::start_for(world, root, &[(USER, PASSWORD)])
    }

    /// As [`Lighttpd::start`], for these users and passwords.
    pub fn start_for(world: &World, root: &Path, users: &[(&str, &str)]) -> Lighttpd {
        std::fs::create_dir_all(root.join("repos")).expect("a folder for repositories");
        let lines = users.iter().map(|(user, password)| format!("{user}:{password}\n")).collect::<Vec<_>>().concat();
        std::fs::write(root.join("users"), lines).expect("the user file");
        let exec_path = world.git(root, &["--exec-path"]).trim().to_owned();
        let mut said = String::new();
        for _ in 0..5 {
            let port =
                TcpListener::bind("127.0.0.1:0").expect("a loopback port").local_addr().expect("an address").port();
            match Lighttpd::try_start(root, &exec_path, port) {
                Ok(server) => return server,
                Err(stderr) => said = stderr,
            }
        }
        panic!("lighttpd did not start on five ports; it said: {said}")
    }

    /// lighttpd on `port`, once it listens there; what it said when it stopped instead.
    fn try_start(root: &Path, exec_path: &str, port: u16) -> Result<Lighttpd, String> {
        let root = root.display();
        let config = format!(
            r#"server.bind = "127.0.0.1"
server.port = {port}
server.document-root = "{root}/repos"
server.errorlog = "{root}/lighttpd.log"
server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_cgi", "mod_setenv")
auth.backend = "plain"
auth.backend.plain.userfile = "{root}/users"
alias.url = ("/git/" => "{exec_path}/git-http-backend/")
$HTTP["url"] =~ "^/git/" {{
    cgi.assign = ("" => "")
    setenv.add-environment = ("GIT_PROJECT_ROOT" => "{root}/repos", "GIT_HTTP_EXPORT_ALL" => "1")
    auth.require = ("" => ("method" => "basic", "realm" => "release", "require" => "valid-user"))
}}
"#
        );
        let file = format!("{root}/lighttpd.conf");
        std::fs::write(&file, config).expect("the server's configuration");
        let binary = ["/usr/sbin/lighttpd", "/usr/local/sbin/lighttpd"]
            .into_iter()
            .find(|b| Path::new(b).is_file())
            .unwrap_or("lighttpd");
        let mut child = Command::new(binary)
            .args(["-D", "-f", &file])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("lighttpd does not start ({e}): run ./test.sh, which installs it"));
        let started = Instant::now();
        loop {
            // Listening is not enough: another test's server may hold the port lighttpd wanted.
            let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
            if listening {
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Some(_stopped) = child.try_wait().expect("lighttpd can be waited for") {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                let log = std::fs::read_to_string(format!("{root}/lighttpd.log")).unwrap_or_default();
                return Err(format!("{stderr}{log}"));
            }
            if listening {
                return Ok(Lighttpd { child, port });
            }
            assert!(started.elapsed() < Duration::from_secs(10), "lighttpd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, repository: &str) -> String {
        format!("http://127.0.0.1:{}/git/{repository}", self.port)
    }
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A credential helper that answers `get` with `password` for any host.
pub fn helper(password: &str) -> String {
    format!("!f() {{ test \"$1\" = get && printf 'username={USER}\\npassword={password}\\n'; }}; f")
}

pub fn bare(world: &World, dir: &Path) -> PathBuf {
    world.git(dir.parent().expect("a parent"), &["init", "-q", "--bare", path(dir)]);
    world.git(dir, &["config", "http.receivepack", "true"]);
    dir.to_owned()
}

#[test]
fn releases_push_over_http_with_credentials_from_a_helper() {
    let world = World::new();
    let server = Lighttpd::start(&world, &world.path("http"));
    let remote = bare(&world, &world.path("http/repos/release.git"));
    let app_remote = world.empty_repo("app.git", true);
    let app = world.path("app");
    world.git(&world.path(""), &["clone", "-q", path(&app_remote), path(&app)]);
    world.git(&app, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
    world.git(&app, &["push", "-q", "origin", "main"]);

    let release = world.empty_repo("release", false);
    world.git(&release, &["remote", "add", "origin", &server.url("release.git")]);
    world.git(&release, &["config", "credential.helper", &helper(PASSWORD)]);
    world.release(&release, &["init", "--app", path(&app_remote)]).expect_status(0);
    world.git(&release, &["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"]);

    let set = world.release(&release, &["-v", "set", "qa", "1.0.0", "--push"]);
    set.expect_status(0);
    assert!(!set.to_string().contains(PASSWORD), "{set}");
    let pushed = world.git(&remote, &["show", "refs/heads/environment/qa:release.toml"]);
    assert!(pushed.contains("version = \"1.0.0\""), "{pushed}");
    world.release(&release, &["prepare", "qa"]).expect_status(0);
    world.release(&release, &["record", "qa"]).expect_status(0);

    // The forge's token comes from the same helper, asked for the API's host.
    let forge = FakeForge::github(Some(PASSWORD));
    point_at(&world, &release, "github", &forge.api());
    let promoted = world.release(&release, &["-v", "promote", "qa", "prod", "--json"]);
    promoted.expect_status(0);
    assert!(!promoted.to_string().contains(PASSWORD), "{promoted}");
    assert_eq!(forge.open_pulls().len(), 1);

    // A helper with the wrong password: the push is refused, and the remote keeps what it had.
    let (before, local) = (world.git(&remote, &["for-each-ref"]), world.git(&release, &["for-each-ref"]));
    world.git(&release, &["config", "credential.helper", &helper("wrong-PASSWORD")]);
    let refused = world.release(&release, &["set", "qa", "1.1.0", "--push"]);
    refused
        .expect_status(128)
        .expect_stderr("caused by: fatal: Authentication failed for 'http://127.0.0.1:")
        .expect_stderr("hint: check the credentials git has for this remote");
    assert!(!refused.to_string().contains("PASSWORD"), "{refused}");
    assert_eq!(world.git(&remote, &["for-each-ref"]), before, "the remote keeps what it had");
    assert_eq!(world.git(&release, &["for-each-ref"]), local, "and so does the clone");
}
