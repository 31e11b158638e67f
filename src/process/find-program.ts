/** Finds a program on the PATH the way a shell would, for the ones the agent does not run itself. */
import { access, constants } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'

// keepalived and systemd may give a bare PATH; Debian installs the programs l3lb needs in these
const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * The absolute path of the executable `name` on `path` (the agent's PATH, then the standard
 * folders), or null; a `name` with a slash is taken as it is, as a shell does.
 */
export async function findProgram (name: string, path = `${process.env.PATH ?? ''}${delimiter}${STANDARD_PATH}`): Promise<string | null> {
  const candidates = name.includes('/')
    ? [name]
    : path.split(delimiter).filter((folder) => folder !== '' && isAbsolute(folder)).map((folder) => join(folder, name))
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate
  }
  return null
}

async function isExecutable (file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
