// A version's extended attributes and POSIX ACLs, for GraphQL (stored by version-attributes.ts).
import { Field, ObjectType } from '@nestjs/graphql';
import { aclEntries } from '../posix-acl.js';
import type { VersionAttributes } from '../version-attributes.js';

@ObjectType('ExtendedAttribute', { description: 'One extended attribute of an entry as the source file system had it.' })
export class ExtendedAttributeModel {
  @Field(() => String, { description: 'Full name with its namespace: user.*, trusted.*, security.*, or system.posix_acl_access / system.posix_acl_default.' })
  name!: string;

  @Field(() => String, { description: 'The raw value, base64.' })
  value!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The value as text when it is valid UTF-8 without control characters (a trailing NUL dropped); null otherwise.',
  })
  text!: string | null;
}

@ObjectType('FileAcl', { description: 'POSIX ACLs of an entry, as getfacl prints their entries (numeric user and group ids).' })
export class FileAclModel {
  @Field(() => [String], {
    nullable: true,
    description: 'The access ACL ("user::rw-", "user:1000:r--", "mask::rw-", ...); null when the entry has none beyond its mode.',
  })
  access!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'The default ACL of a directory (what new entries inside it inherit); null when it has none.' })
  default!: string[] | null;
}

function asText(value: Buffer): string | null {
  const body = value.length && value[value.length - 1] === 0 ? value.subarray(0, -1) : value;
  const text = body.toString('utf8');
  // eslint-disable-next-line no-control-regex
  return Buffer.from(text, 'utf8').equals(body) && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text) ? text : null;
}

export function toXattrModels(a: VersionAttributes): ExtendedAttributeModel[] {
  return a.xattrs.map((x) => ({ name: x.name, value: x.value.toString('base64'), text: asText(x.value) }));
}

export function toAclModel(a: VersionAttributes): FileAclModel | null {
  const find = (name: string) => {
    const x = a.xattrs.find((y) => y.name === name);
    return x ? aclEntries(x.value) : null;
  };
  const access = find('system.posix_acl_access');
  const defaults = find('system.posix_acl_default');
  return access || defaults ? { access, default: defaults } : null;
}
