fn main() {
    keyward_app::mount();
}
