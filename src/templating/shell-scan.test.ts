import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scanShellTemplate } from "./shell-template.js";

const body = (t: string) => {
  const s = scanShellTemplate(t);
  assert.deepEqual(
    s.problems.map((p) => p.message),
    [],
    t,
  );
  return s.body;
};
const problems = (t: string) => scanShellTemplate(t).problems.map((p) => p.message);

describe("shell scanner: rewriting", () => {
  it("plain words become one quoted expansion", () => {
    assert.equal(body("echo ${X} $X a$X"), 'echo "${__talon_X}" "${__talon_X}" a"${__talon_X}"');
  });
  it("inside double quotes and unquoted here-documents, a bare expansion", () => {
    assert.equal(body('echo "a $X ${Y}"'), 'echo "a ${__talon_X} ${__talon_Y}"');
    assert.equal(
      body("cat <<EOF\n'$X' \"$X\"\nEOF\necho $X"),
      'cat <<EOF\n\'${__talon_X}\' "${__talon_X}"\nEOF\necho "${__talon_X}"',
    );
    assert.equal(body("cat <<-EOF\n\t$X\n\tEOF\n"), "cat <<-EOF\n\t${__talon_X}\n\tEOF\n");
  });
  it("inside single quotes and $'…', the quote is closed around the expansion", () => {
    assert.equal(body("echo 'a$X b'"), `echo 'a'"\${__talon_X}"' b'`);
    assert.equal(body("echo $'a\\'$X\\n'"), `echo $'a\\''"\${__talon_X}"$'\\n'`);
    assert.equal(body('echo "it\'s $X"'), 'echo "it\'s ${__talon_X}"', 'a \' inside "…" is no quote');
  });
  it("inside $(…), backquotes, and both within double quotes", () => {
    assert.equal(body('echo "seen $(basename ${X})"'), 'echo "seen $(basename "${__talon_X}")"');
    assert.equal(body("echo `echo $X`"), 'echo `echo "${__talon_X}"`');
    assert.equal(body('echo "`echo $X`"'), 'echo "`echo \\"${__talon_X}\\"`"');
    assert.equal(body("echo `echo \\`echo $X\\``"), 'echo `echo \\`echo "${__talon_X}"\\``');
    assert.equal(
      body("x=$(case $X in a) echo $X;; esac)"),
      'x=$(case "${__talon_X}" in a) echo "${__talon_X}";; esac)',
    );
  });
  it("leaves comments, escaped dollars, special parameters and quoted here-documents without variables alone", () => {
    assert.equal(body("echo \\$X $1 $? $$ ${#} # $X"), "echo \\$X $1 $? $$ ${#} # $X");
    assert.equal(body("cat <<'EOF'\n$(id) `id`\nEOF\n"), "cat <<'EOF'\n$(id) `id`\nEOF\n");
    assert.equal(body("echo a#$X"), 'echo a#"${__talon_X}"');
  });
  it("lists the variables used, in order, with their shell variables", () => {
    const s = scanShellTemplate("echo $B ${FALCO-TALON_RULE} $A $B");
    assert.deepEqual(s.variables, [
      ["B", "__talon_B"],
      ["FALCO-TALON_RULE", "__talon_0_FALCO_TALON_RULE"],
      ["A", "__talon_A"],
    ]);
  });
});

describe("shell scanner: rejected positions", () => {
  const rejects = (t: string, re: RegExp) => {
    const p = problems(t);
    assert.ok(p.length > 0, `not rejected: ${t}`);
    assert.match(p.join("\n"), re, t);
    assert.match(p[0] as string, /^the variable X \(line \d+, column \d+\) can't be used here: |^'/);
  };
  it("arithmetic", () => {
    for (const t of [
      "echo $(( $X + 1 ))",
      "(( X = $X ))",
      "for (( i=0; i<$X; i++ )); do :; done",
      "echo $[ $X ]",
      'echo "$(( $(echo $X) ))"',
    ]) {
      rejects(t, /arithmetic/);
    }
    rejects("let y=$X", /'let' is arithmetic/);
    rejects("[[ $X -eq 1 ]]", /compares as arithmetic/);
    rejects("a[$X]=1", /array subscript/);
    rejects("a=([$X]=1)", /array subscript/);
    rejects("declare -i n=$X", /integer/);
    rejects(
      "declare -i n\nn=$X",
      /declares an integer or name-reference variable \(declare -i \/ -n, line 1\)/,
    );
    rejects("typeset -n r=$X", /name-reference/);
  });
  it("code and names", () => {
    rejects("eval $X", /'eval' runs its arguments as shell code/);
    rejects('eval "echo $(echo $X)"', /'eval'/);
    rejects(". $X", /'\.' runs the file/);
    rejects("source ${X}", /'source'/);
    rejects("trap 'echo $X' EXIT", /'trap'/);
    rejects('sh -c "echo $X"', /'sh -c' runs its command string/);
    rejects("bash -ec 'echo $X'", /'bash -ec'/);
    rejects('timeout 5 /bin/bash -c "$X"', /'bash -c'/);
    rejects('find / -exec sh -c "$X" \\;', /'sh -c'/);
    rejects("$X --help", /command name/);
    rejects("export $X", /variable name/);
    rejects("unset $X", /variable name/);
    rejects("read -r $X", /variable name/);
    rejects("printf -v $X %s y", /variable name/);
    rejects("[[ -v $X ]]", /variable name/);
    rejects("awk '/$X/' f", /program text of 'awk'/);
    rejects('sed -e "s/$X//" f', /program text of 'sed'/);
    rejects("python3 -c \"print('$X')\"", /program text/);
  });
  it("here-documents", () => {
    rejects("cat <<'EOF'\n$X\nEOF", /quoted delimiter \(EOF\)/);
    rejects('cat <<"EOF"\n${X}\nEOF', /quoted delimiter/);
    rejects("cat <<\\EOF\n$X\nEOF", /quoted delimiter/);
    rejects("cat <<$X\nx\n$X\n", /here-document delimiter/);
  });
  it("${…} forms that are no plain name", () => {
    rejects("echo ${X:-default}", /takes everything up to the first '}'/);
    rejects("echo ${a[$X]}", /'\$\{a\[\$X\]\}' \(line 1, column 6\) is not accepted/);
    rejects("echo ${x:$X}", /not accepted/);
    rejects("echo ${X", /no closing/);
  });
  it("the reserved prefix", () => {
    assert.match(
      problems("echo $(( __talon_X ))")[0] ?? "",
      /'__talon_' \(line 1, column 10\) is not accepted: .*reserved/,
    );
  });
  it("gives the template line and column", () => {
    assert.deepEqual(problems("echo ok\n  eval $X\n"), [
      "the variable X (line 2, column 8) can't be used here: 'eval' runs its arguments as shell code",
    ]);
  });
  it("accepts the safe forms next to them", () => {
    for (const t of [
      "export A=$X",
      'local a="$X"',
      'read -r -p "$X" line',
      "printf '%s\\n' $X",
      'sh -c \'printf "%s" "$1"\' sh "$X"',
      "grep sh $X",
      "awk -v v=\"$X\" '{print v}' f",
      "awk '{print $1}' $X",
      '[ "$X" = a ] && echo yes',
      "[[ $X == a* ]]",
      "echo $(( 1 + 2 )) $X",
      "case $X in (a) echo $X;; *) : ;; esac",
      'f() { echo "$1"; }; f $X',
      "cat <<EOF\n$X\nEOF\n",
      "a=(1 $X 3)",
    ]) {
      assert.deepEqual(problems(t), [], t);
    }
  });
});
