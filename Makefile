# The two commands a fresh Debian machine needs. Both install what is missing first (scripts/setup).
.PHONY: run test setup icons

run:            ## build and open the desktop app (headless: under Xvfb, with a screenshot)
	scripts/run

test:           ## every check and test, as CI runs them
	scripts/test

setup:          ## install system packages, Node packages and repo-local tools
	scripts/setup

icons:          ## regenerate every app icon from icons/wardcam.svg
	npx tauri icon icons/wardcam.svg -o src-tauri/icons
