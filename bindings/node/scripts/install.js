// The package's install script. It needs only Node and cargo, because npm
// does not install a path dependency's own devDependencies (no napi CLI here).
//
// - the addon is already there (a tarball from `npm pack`, or built before): nothing to do;
// - sources are there (a checkout of the repository): `cargo build --release`
//   and copy the library to the file name native.js loads;
// - neither: say so and fail, rather than install a package that cannot load.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const { napi } = require(path.join(root, 'package.json'))
const crate = 'kissmon-node'

function platformSuffix() {
  const abi = process.platform === 'linux' ? '-gnu' : ''
  return `${process.platform}-${process.arch}${abi}`
}

function libraryName() {
  const base = crate.replace(/-/g, '_')
  if (process.platform === 'darwin') return `lib${base}.dylib`
  if (process.platform === 'win32') return `${base}.dll`
  return `lib${base}.so`
}

function main() {
  const addon = path.join(root, `${napi.binaryName}.${platformSuffix()}.node`)
  if (fs.existsSync(addon)) return
  if (!fs.existsSync(path.join(root, 'Cargo.toml'))) {
    console.error(`kissmon: ${path.basename(addon)} is missing and there are no sources to build it from`)
    process.exit(1)
  }
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
