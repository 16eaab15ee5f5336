fn main() -> std::process::ExitCode {
    git_release::cli::main(std::env::args_os())
}
