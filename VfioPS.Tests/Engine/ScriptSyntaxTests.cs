using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation.Language;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>
/// Every .ps1 in the repository parses with the real PowerShell parser, and the Pester files keep to Pester 5:
/// operator-style assertions, no code outside the blocks, and discovery-time data computed in BeforeDiscovery.
/// pwsh and Pester are not on this machine; this is what can be checked of them here.
/// </summary>
public sealed class ScriptSyntaxTests
{
    // .modules holds what build.ps1 restores (Pester itself), not the project's scripts.
    private static readonly string[] s_skippedFolders = { "bin", "obj", "output", ".git", "TestResults", ".modules" };

    public static IEnumerable<object[]> Scripts() => FindScripts().Select(p => new object[] { Path.GetRelativePath(Repo.Root, p) });

    public static IEnumerable<object[]> PesterFiles() => FindScripts().Where(p => p.EndsWith(".Tests.ps1", StringComparison.OrdinalIgnoreCase))
        .Select(p => new object[] { Path.GetRelativePath(Repo.Root, p) });

    private static IEnumerable<string> FindScripts()
        => Directory.EnumerateFiles(Repo.Root, "*.ps1", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(Repo.Root, p).Split(Path.DirectorySeparatorChar).Any(s_skippedFolders.Contains))
            .OrderBy(p => p, StringComparer.Ordinal);

    [Fact]
    public void TheBuildScriptAndAPesterFilePerCmdletExist()
    {
        var relative = FindScripts().Select(p => Path.GetRelativePath(Repo.Root, p).Replace('\\', '/')).ToArray();
        Assert.Contains("build.ps1", relative);
        foreach (string cmdlet in new[] { "Get-VfioIrqInfo", "Get-VfioIrqCapability", "New-VfioMockDevice" })
            Assert.Contains($"VfioPS.Tests/Pester/{cmdlet}.Tests.ps1", relative);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ParsesWithoutErrors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(Repo.Root, relativePath), out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Theory]
    [MemberData(nameof(PesterFiles))]
    public void ShouldIsUsedWithPester5OperatorParameters(string relativePath)
    {
        var ast = Parse(relativePath);
        var shoulds = ast.FindAll(a => a is CommandAst c && string.Equals(c.GetCommandName(), "Should", StringComparison.OrdinalIgnoreCase), true)
            .Cast<CommandAst>().ToArray();
        Assert.NotEmpty(shoulds);
        foreach (var should in shoulds)
        {
            // Pester 4 wrote `Should Be 1`; Pester 5 needs `Should -Be 1` (or -Not -Be).
            Assert.True(should.CommandElements.Count > 1 && should.CommandElements[1] is CommandParameterAst,
                $"{relativePath}:{should.Extent.StartLineNumber}: '{should.Extent.Text}' is not Pester 5 syntax (use Should -Operator).");
        }
    }

    [Theory]
    [MemberData(nameof(PesterFiles))]
    public void OnlyPesterBlocksStandAtTheTopLevel(string relativePath)
    {
        var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "BeforeDiscovery", "BeforeAll", "AfterAll", "Describe", "Context" };
        var ast = Parse(relativePath);
        foreach (var statement in ast.EndBlock.Statements)
        {
            string? name = statement is PipelineAst { PipelineElements.Count: 1 } p && p.PipelineElements[0] is CommandAst c ? c.GetCommandName() : null;
            Assert.True(name is not null && allowed.Contains(name),
                $"{relativePath}:{statement.Extent.StartLineNumber}: '{statement.Extent.Text.Split('\n')[0]}' runs outside Pester's blocks; Pester 5 runs such code at discovery only.");
        }
        Assert.Contains(ast.FindAll(a => a is CommandAst c && string.Equals(c.GetCommandName(), "BeforeAll", StringComparison.OrdinalIgnoreCase), true),
            b => b.Extent.Text.Contains("common.ps1", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PesterFiles))]
    public void DiscoveryDataComesFromBeforeDiscovery(string relativePath)
    {
        var ast = Parse(relativePath);
        var discoveryVariables = ast.FindAll(a => a is CommandAst c && string.Equals(c.GetCommandName(), "BeforeDiscovery", StringComparison.OrdinalIgnoreCase), true)
            .SelectMany(b => b.FindAll(a => a is AssignmentStatementAst, true))
            .Select(a => ((AssignmentStatementAst)a).Left)
            .SelectMany(l => l.FindAll(v => v is VariableExpressionAst, true))
            .Select(v => ((VariableExpressionAst)v).VariablePath.UserPath)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builtIn = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "true", "false", "null", "_", "PSItem", "IsLinux", "IsWindows", "IsMacOS", "PSVersionTable" };

        foreach (CommandAst block in ast.FindAll(a => a is CommandAst c && c.GetCommandName() is "Describe" or "Context" or "It", true).Cast<CommandAst>())
        {
            for (int i = 0; i < block.CommandElements.Count - 1; i++)
            {
                if (block.CommandElements[i] is not CommandParameterAst parameter) continue;
                if (!(parameter.ParameterName.Equals("ForEach", StringComparison.OrdinalIgnoreCase)
                      || parameter.ParameterName.Equals("TestCases", StringComparison.OrdinalIgnoreCase)
                      || parameter.ParameterName.StartsWith("Skip", StringComparison.OrdinalIgnoreCase))) continue;
                Ast value = parameter.Argument ?? block.CommandElements[i + 1];
                foreach (VariableExpressionAst variable in value.FindAll(a => a is VariableExpressionAst, true).Cast<VariableExpressionAst>())
                {
                    string name = variable.VariablePath.UserPath;
                    if (variable.VariablePath.IsDriveQualified || builtIn.Contains(name)) continue;
                    Assert.True(discoveryVariables.Contains(name),
                        $"{relativePath}:{variable.Extent.StartLineNumber}: -{parameter.ParameterName} uses ${name}, which no BeforeDiscovery block assigns; at discovery it would be empty.");
                }
            }
        }
    }

    /// <summary>
    /// Pester 5 lists TestDrive recursively with Directory.GetFileSystemEntries(AllDirectories), which follows
    /// directory links, before and after every block: a link cycle there (a fake sysfs has them) hangs the whole run
    /// before any test can fail. So a Pester file (or a script it dot-sources) that makes links must keep them out of
    /// TestDrive; this check is conservative: such a file does not name TestDrive in code at all.
    /// </summary>
    [Theory]
    [MemberData(nameof(PesterFiles))]
    public void NoPesterFileMakesLinksUnderTestDrive(string relativePath)
    {
        var scripts = new List<(string Name, ScriptBlockAst Ast)> { (relativePath, Parse(relativePath)) };
        string folder = Path.GetDirectoryName(Path.Combine(Repo.Root, relativePath))!;
        foreach (string sourced in DotSourcedScripts(scripts[0].Ast, folder))
            scripts.Add((Path.GetRelativePath(Repo.Root, sourced), Parse(Path.GetRelativePath(Repo.Root, sourced))));

        var links = scripts.SelectMany(s => LinkCreations(s.Ast).Select(a => $"{s.Name}:{a.Extent.StartLineNumber}")).ToArray();
        var testDrive = scripts.SelectMany(s => TestDriveUses(s.Ast).Select(a => $"{s.Name}:{a.Extent.StartLineNumber}")).ToArray();
        Assert.False(links.Length > 0 && testDrive.Length > 0,
            $"{relativePath} makes links ({string.Join(", ", links)}) and uses TestDrive ({string.Join(", ", testDrive)}): " +
            "build trees with links in a temp folder of their own, removed in AfterAll, never under TestDrive.");
    }

    [Fact]
    public void TheTestDriveLinkCheckFindsALinkTreeBuiltUnderTestDrive()
    {
        // The layout the Get-VfioDevice tests once had: it hung Pester 5 until killed.
        var ast = Parser.ParseInput("""
            BeforeAll {
                $root = Join-Path $TestDrive 'host'
                New-Item -ItemType SymbolicLink -Path (Join-Path $root 'iommu_group') -Target $root | Out-Null
                [System.IO.Directory]::CreateSymbolicLink((Join-Path 'TestDrive:' 'x'), '/') | Out-Null
            }
            """, out _, out var errors);
        Assert.Empty(errors);
        Assert.Equal(2, LinkCreations(ast).Count());
        Assert.Single(TestDriveUses(ast), a => a is VariableExpressionAst);
        Assert.Single(TestDriveUses(ast), a => a is StringConstantExpressionAst);
    }

    private static IEnumerable<Ast> LinkCreations(Ast ast)
        => ast.FindAll(a =>
            (a is CommandAst c && c.GetCommandName() is string name
                && ((name.Equals("New-Item", StringComparison.OrdinalIgnoreCase) || name.Equals("ni", StringComparison.OrdinalIgnoreCase))
                    && c.CommandElements.Any(e => e is StringConstantExpressionAst { Value: var v }
                        && (v.Equals("SymbolicLink", StringComparison.OrdinalIgnoreCase) || v.Equals("Junction", StringComparison.OrdinalIgnoreCase) || v.Equals("HardLink", StringComparison.OrdinalIgnoreCase)))
                    || name.Equals("ln", StringComparison.OrdinalIgnoreCase)))
            || (a is InvokeMemberExpressionAst { Member: StringConstantExpressionAst { Value: var member } }
                && (member.Equals("CreateSymbolicLink", StringComparison.OrdinalIgnoreCase) || member.Equals("CreateAsSymbolicLink", StringComparison.OrdinalIgnoreCase))),
            true);

    private static IEnumerable<Ast> TestDriveUses(Ast ast)
        => ast.FindAll(a =>
            (a is VariableExpressionAst v && v.VariablePath.UserPath.Equals("TestDrive", StringComparison.OrdinalIgnoreCase))
            || (a is StringConstantExpressionAst s && s.Value.Contains("TestDrive:", StringComparison.OrdinalIgnoreCase))
            || (a is ExpandableStringExpressionAst e && e.Value.Contains("TestDrive", StringComparison.OrdinalIgnoreCase)),
            true);

    private static IEnumerable<string> DotSourcedScripts(Ast ast, string folder)
        => ast.FindAll(a => a is CommandAst { InvocationOperator: TokenKind.Dot }, true).Cast<CommandAst>()
            .SelectMany(c => c.FindAll(a => a is StringConstantExpressionAst, true).Cast<StringConstantExpressionAst>())
            .Select(s => Path.Combine(folder, s.Value))
            .Where(p => p.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase) && File.Exists(p))
            .Distinct(StringComparer.Ordinal);

    private static ScriptBlockAst Parse(string relativePath)
    {
        var ast = Parser.ParseFile(Path.Combine(Repo.Root, relativePath), out _, out var errors);
        Assert.Empty(errors);
        return ast;
    }
}
