// The package's install script. It needs only Node, and cargo when it has to
// build: npm does not install a path dependency's own devDependencies (no
// napi CLI here).
//
// - a prebuilt addon for this platform loads (one shipped in this package, as
//   in the release tarball, or napi-rs's platform package
//   kissmon-<platform>, e.g. kissmon-linux-x64-gnu): nothing to do;
// - otherwise, with sources (a checkout of the repository): `cargo build
//   --release` and copy the library to the file name native.js loads;
// - neither: say which platform has no prebuilt addon and fail, rather than
//   install a package that cannot load.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const { name, napi } = require(path.join(root, 'package.json'))
const crate = 'kissmon-node'

// napi-rs's platform names on Linux (the package's only `os`): linux-x64-gnu, linux-x64-musl.
function platformSuffix() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`
  const glibc = process.report.getReport().header.glibcVersionRuntime
  return `${process.platform}-${process.arch}-${glibc ? 'gnu' : 'musl'}`
}

// Why the addon at `file` does not load here (e.g. a glibc older than it
// needs), or null when it loads.
function loadFailure(file) {
  try {
    require(file)
    return null
  } catch (error) {
    return error.message
  }
}

function platformPackageInstalled(suffix) {
  try {
    require.resolve(`${name}-${suffix}`, { paths: [root] })
    return true
  } catch {
    return false
  }
}

function fail(message) {
  console.error(`kissmon: ${message}`)
  process.exit(1)
}

function libraryName() {
  const base = crate.replace(/-/g, '_')
  if (process.platform === 'darwin') return `lib${base}.dylib`
  if (process.platform === 'win32') return `${base}.dll`
  return `lib${base}.so`
}

function main() {
  const suffix = platformSuffix()
  const addonName = `${napi.binaryName}.${suffix}.node`
  const addon = path.join(root, addonName)
  const sources = fs.existsSync(path.join(root, 'Cargo.toml'))
  if (fs.existsSync(addon)) {
    const failure = loadFailure(addon)
    if (failure === null) return
    if (!sources) fail(`the prebuilt ${addonName} does not load here: ${failure}`)
    console.error(`kissmon: ${addonName} does not load (${failure}); building it from the sources`)
  } else if (platformPackageInstalled(suffix)) {
    return
  } else if (!sources) {
    const prebuilt = fs.readdirSync(root).filter((name) => name.endsWith('.node'))
    fail(
      `no prebuilt addon for ${suffix} (this package has ${prebuilt.join(', ') || 'none'}) ` +
        'and no sources to build one from; install from a checkout of the repository, with cargo'
    )
  }
  buildWithCargo(addon)
}

function buildWithCargo(addon) {
  const run = (command, args, options = {}) => execFileSync(command, args, { cwd: root, ...options })
  const metadata = JSON.parse(run('cargo', ['metadata', '--format-version', '1', '--no-deps'], { encoding: 'utf8' }))
  // An explicit --target, as `napi build` passes, so both share one build cache.
  const host = /^host: (\S+)$/m.exec(run('rustc', ['-vV'], { encoding: 'utf8' }))[1]
  run('cargo', ['build', '--release', '-p', crate, '--target', host], { stdio: 'inherit' })
  const built = path.join(metadata.target_directory, host, 'release', libraryName())
  // Copy then rename, so a reader never sees half a file.
  const partial = `${addon}.partial`
  fs.copyFileSync(built, partial)
  fs.renameSync(partial, addon)
}

main()
