/** Finds a program on the PATH the way a shell would, for the ones the agent does not run itself. */
import { access, constants } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'

// keepalived and systemd may give a bare PATH; Debian installs the programs l3lb needs in these
const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The absolute path of the executable `name` on `path` (the agent's PATH, then the standard folders), or null. */
export async function findProgram (name: string, path = `${process.env.PATH ?? ''}${delimiter}${STANDARD_PATH}`): Promise<string | null> {
  for (const folder of path.split(delimiter)) {
    if (folder === '' || !isAbsolute(folder)) continue
    const candidate = join(folder, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return null
}
